import { AuditLogTotal } from '../audit/entities/audit-log-total.entity';
import { AuditLog } from '../audit/entities/audit-log.entity';
import { DeletionLedgerEntry } from '../audit/entities/deletion-ledger.entity';
import { PendingLogin } from '../auth/entities/pending-login.entity';
import { RecoveryCode } from '../auth/entities/recovery-code.entity';
import { Session } from '../auth/entities/session.entity';
import { User } from '../auth/entities/user.entity';
import { CancellationOutbox } from '../billing/entities/cancellation-outbox.entity';
import { WebhookEvent } from '../billing/entities/webhook-event.entity';
import { Entitlement } from '../connect/entities/entitlement.entity';

export const ENTITIES = [
  User,
  Session,
  RecoveryCode,
  PendingLogin,
  AuditLog,
  AuditLogTotal,
  DeletionLedgerEntry,
  Entitlement,
  WebhookEvent,
  CancellationOutbox,
];
