import { SetMetadata } from '@nestjs/common';
import type { AuditAction } from './audit-actions';

export const AUDIT_ACTION_KEY = 'nullpass:audit-action';

/**
 * Declares the audit event of a route. The AuditInterceptor records it only when the
 * handler succeeds, in the same transaction as the handler's writes.
 */
export const Audit = (action: AuditAction) => SetMetadata(AUDIT_ACTION_KEY, action);
