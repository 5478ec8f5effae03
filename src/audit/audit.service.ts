import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { DataProtector } from '../common/crypto/data-protector';
import { UnitOfWork } from '../database/unit-of-work';
import type { AuditAction } from './audit-actions';
import { AuditContext, AuditEntry, PendingAudit } from './audit-context';
import { AuditLog } from './entities/audit-log.entity';
import { DeletionLedgerEntry } from './entities/deletion-ledger.entity';

@Injectable()
export class AuditService implements OnModuleInit {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly context: AuditContext,
    private readonly clock: Clock,
    private readonly protector: DataProtector,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    // The route's event joins the handler's own transaction, just before it commits.
    this.uow.onBeforeCommit(() => this.flushPending());
  }

  /** Called by the interceptor when a route declares @Audit: the event the handler runs with. */
  begin(action: AuditAction, userId: string | null): PendingAudit {
    return {
      primary: { action, userId, actorId: userId, data: {} },
      extra: [],
      skipped: false,
      written: false,
    };
  }

  /** Writes the request's pending events, once, with the open transaction if any. */
  async flushPending(): Promise<void> {
    const pending = this.unwritten();
    if (!pending) return;
    pending.written = true;
    const entries = [pending.primary, ...pending.extra].filter((e): e is AuditEntry => e !== null);
    if (entries.length) await this.insert(entries);
  }

  /**
   * After the handler: its events, if its own transaction did not already write them, in
   * a transaction of their own. A handler that wrote in a transaction (every multi-row
   * write) leaves nothing, and no second, empty transaction is opened: on PostgreSQL that
   * was two more round trips per write.
   */
  async flushAfterHandler(): Promise<void> {
    const pending = this.unwritten();
    if (pending && (pending.primary || pending.extra.length)) await this.uow.run(() => this.flushPending());
  }

  /** The request's pending events if not yet written nor skipped; undefined outside an audited route. */
  private unwritten(): PendingAudit | undefined {
    const pending = this.context.pending;
    return pending && !pending.written && !pending.skipped ? pending : undefined;
  }

  /** Writes events now, in the open transaction if there is one (billing, admin). */
  async record(entries: AuditEntry[]): Promise<void> {
    await this.insert(entries);
  }

  /**
   * LOGIN_FAILED is written outside the request's transaction, which rolls back:
   * straight on the data source. The email is kept only as an HMAC.
   */
  async recordLoginFailed(userId: string | null, normalisedEmail: string, ip: string, reason: string): Promise<void> {
    try {
      const repo = this.dataSource.getRepository(AuditLog);
      await repo.insert(
        repo.create({
          userId,
          actorId: userId,
          action: 'LOGIN_FAILED',
          data: { emailHmac: this.protector.emailHmac(normalisedEmail), ip: this.protector.seal(ip), reason },
          createdAt: this.clock.now(),
        }),
      );
    } catch (error) {
      // A failed audit write must not turn a 401 into a 500; it is logged instead.
      this.logger.error({ err: (error as Error).message }, 'could not record LOGIN_FAILED');
    }
  }

  /** The deletion ledger: the one trace of a deleted account (flaw 7). */
  async recordDeletion(userId: string, normalisedEmail: string): Promise<void> {
    // create() runs the entity's id initialiser; a plain object would insert a null id.
    const repo = this.uow.manager.getRepository(DeletionLedgerEntry);
    await repo.insert(
      repo.create({
        userId,
        action: 'USER_DELETE',
        emailHmac: this.protector.emailHmac(normalisedEmail),
        deletedAt: this.clock.now(),
      }),
    );
  }

  /** Seals an IP for event data (IPs are never stored in clear). */
  sealIp(ip: string): string {
    return this.protector.seal(ip);
  }

  private async insert(entries: AuditEntry[]): Promise<void> {
    const now = this.clock.now();
    const repo = this.uow.manager.getRepository(AuditLog);
    await repo.insert(
      entries.map((e) => repo.create({ userId: e.userId, actorId: e.actorId, action: e.action, data: e.data, createdAt: now })),
    );
  }
}
