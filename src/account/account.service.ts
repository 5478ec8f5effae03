import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditContext } from '../audit/audit-context';
import { AuditService } from '../audit/audit.service';
import { User } from '../auth/entities/user.entity';
import { isAdminBan, isBanned } from '../auth/restriction';
import { CancellationOutboxService } from '../billing/cancellation-outbox.service';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import { UnitOfWork } from '../database/unit-of-work';
import { AvatarStorage } from './avatar-storage';
import type { AccountActionResponse } from './dto/account-responses.dto';
import { lockUser } from './locked-user';

/**
 * Seeds 001-003: the account changes themselves. Re-authentication (password, then
 * 2FA) has already happened in the ReauthGuard and the audit event is declared on the
 * route; each method locks the user row, checks its state, writes the change and the
 * Polar cancellations (outbox, flaw 8) in one transaction.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly outbox: CancellationOutboxService,
    private readonly audit: AuditService,
    private readonly auditContext: AuditContext,
    private readonly avatars: AvatarStorage,
  ) {}

  /** Seed 001 POST: restricted mode starts on every session at the next request. */
  async disable(userId: string): Promise<AccountActionResponse> {
    await this.uow.run(async (m) => {
      const user = await lockUser(m, userId);
      await this.updateUser(m, userId, { disabled: true });
      await this.outbox.enqueueForUser(userId);
      this.auditContext.add({ email: user.email });
    });
    return { success: true, message: Messages.accountDisabledOk };
  }

  /** Seed 001 DELETE. */
  async enable(userId: string): Promise<AccountActionResponse> {
    await this.uow.run(async (m) => {
      const user = await lockUser(m, userId);
      if (!user.disabled) throw new BadRequestException(Messages.accountNotDisabled);
      await this.updateUser(m, userId, { disabled: false });
      this.auditContext.add({ action: 'account_enabled' });
    });
    return { success: true, message: Messages.accountEnabledOk };
  }

  /** Seed 002 POST: a self-imposed ban (bannedBy is the user), which the user may lift. */
  async ban(userId: string): Promise<AccountActionResponse> {
    await this.uow.run(async (m) => {
      const user = await lockUser(m, userId);
      await this.updateUser(m, userId, {
        banned: true,
        bannedBy: userId,
        bannedAt: this.clock.now(),
        banReason: null,
        bannedUntil: null,
      });
      await this.outbox.enqueueForUser(userId);
      this.auditContext.add({ email: user.email });
    });
    return { success: true, message: Messages.accountBannedOk };
  }

  /** Seed 002 DELETE: only a self-imposed ban; an administrator's is lifted by an administrator. */
  async unban(userId: string): Promise<AccountActionResponse> {
    await this.uow.run(async (m) => {
      const user = await lockUser(m, userId);
      const nowMs = this.clock.nowMs();
      if (!isBanned(user, nowMs)) throw new BadRequestException(Messages.accountNotBanned);
      if (isAdminBan(user, nowMs)) throw new ForbiddenException(Messages.banAdminOnly);
      await this.updateUser(m, userId, { banned: false, bannedBy: null, bannedAt: null, banReason: null, bannedUntil: null });
      this.auditContext.add({ action: 'account_unbanned' });
    });
    return { success: true, message: Messages.accountUnbannedOk };
  }

  /**
   * Seed 003: cancellations queued, deletion ledger written (flaw 7) and the user deleted
   * in one transaction; sessions, entitlements, audit logs, recovery codes and pending
   * logins go with it by foreign-key cascade. The route's own audit event is skipped:
   * it would belong to the deleted user, and the ledger is the record. Refused while an
   * administrator's ban stands (deleting would let the email register afresh).
   */
  async delete(userId: string): Promise<AccountActionResponse> {
    this.auditContext.skip();
    await this.uow.run(async (m) => {
      const user = await lockUser(m, userId);
      if (isAdminBan(user, this.clock.nowMs())) throw new ForbiddenException(Messages.accountBanned);
      await this.outbox.enqueueForUser(userId);
      await this.audit.recordDeletion(userId, user.email);
      const result = await m.getRepository(User).delete({ id: userId });
      // A concurrent delete got there first (its lock released only once it committed).
      if (!result.affected) throw new NotFoundException(Messages.userNotFound);
    });
    await this.avatars.removeAll(userId);
    return { success: true, message: Messages.accountDeletedOk };
  }

  private async updateUser(m: EntityManager, userId: string, changes: Partial<User>): Promise<void> {
    const result = await m.getRepository(User).update({ id: userId }, Object.assign({}, changes, { updatedAt: this.clock.now() }));
    if (!result.affected) throw new NotFoundException(Messages.userNotFound);
  }
}
