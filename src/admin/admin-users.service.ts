import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { In, IsNull, MoreThan } from 'typeorm';
import { lockUser } from '../account/locked-user';
import { AuditContext } from '../audit/audit-context';
import { User } from '../auth/entities/user.entity';
import { CancellationOutboxService } from '../billing/cancellation-outbox.service';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import { SERVICES, type ServiceName } from '../common/services';
import { Entitlement } from '../connect/entities/entitlement.entity';
import { UnitOfWork } from '../database/unit-of-work';
import { mapAdminUser, mapInternalUser } from './admin-user.mapper';
import type { AdminActionResponse, AdminStatsResponse, AdminUsersQueryDto, AdminUsersResponse, BanDto, ServiceStatsDto } from './dto/admin.dto';
import type { InternalUserResponse } from './dto/internal-user.dto';

const DEFAULT_LIMIT = 20;

/** `%`, `_` and the escape character itself match literally in a search. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Users as administrators and sibling services see them; administrators' bans. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly auditContext: AuditContext,
    private readonly outbox: CancellationOutboxService,
  ) {}

  async list(query: AdminUsersQueryDto): Promise<AdminUsersResponse> {
    const page = query.page ?? 1;
    const limit = query.limit ?? DEFAULT_LIMIT;
    const qb = this.uow.manager.getRepository(User).createQueryBuilder('u');
    // Emails are stored lower-cased and the search is lower-cased: the same on both databases.
    if (query.search) qb.where(`u.email LIKE :pattern ESCAPE '\\'`, { pattern: `%${escapeLike(query.search)}%` });
    qb.orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'ASC')
      .offset((page - 1) * limit)
      .limit(limit);
    const [users, totalCount] = await qb.getManyAndCount();
    const entitlements = await this.entitlementsOf(users.map((u) => u.id));
    const nowMs = this.clock.nowMs();
    const totalPages = Math.ceil(totalCount / limit);
    return {
      users: users.map((u) => mapAdminUser(u, entitlements.get(u.id) ?? [], nowMs)),
      pagination: { page, limit, totalCount, totalPages, hasMore: page < totalPages },
    };
  }

  async stats(): Promise<AdminStatsResponse> {
    const m = this.uow.manager;
    const users = m.getRepository(User);
    const entitlements = m.getRepository(Entitlement);
    const now = this.clock.now();
    const [totalUsers, banned, disabled, twoFactorEnabled, premium, perService] = await Promise.all([
      users.count(),
      // A ban whose end has passed no longer counts (as the guard sees it).
      users.count({ where: [{ banned: true, bannedUntil: IsNull() }, { banned: true, bannedUntil: MoreThan(now) }] }),
      users.countBy({ disabled: true }),
      users.countBy({ twoFactorEnabled: true }),
      entitlements
        .createQueryBuilder('e')
        .select('COUNT(DISTINCT e.user_id)', 'n')
        .where('e.is_premium = :premium', { premium: true })
        .getRawOne<{ n: string | number }>(),
      entitlements
        .createQueryBuilder('e')
        .select('e.service', 'service')
        .addSelect('COUNT(*)', 'total')
        .addSelect('SUM(CASE WHEN e.is_premium = :premium THEN 1 ELSE 0 END)', 'premium')
        .setParameter('premium', true)
        .groupBy('e.service')
        .getRawMany<{ service: string; total: string | number; premium: string | number | null }>(),
    ]);
    const byService = Object.fromEntries(SERVICES.map((s) => [s, { total: 0, premium: 0 }])) as Record<ServiceName, ServiceStatsDto>;
    for (const row of perService) {
      if (row.service in byService) byService[row.service as ServiceName] = { total: Number(row.total), premium: Number(row.premium ?? 0) };
    }
    const premiumUsers = Number(premium?.n ?? 0);
    return { totalUsers, premiumUsers, freeUsers: totalUsers - premiumUsers, banned, disabled, twoFactorEnabled, byService };
  }

  /**
   * An administrator's ban: recorded with who, why, when and until when. The target's
   * sessions stay but become restricted on their very next request (the guard reads the
   * user row each time); Polar cancellations are queued in the same transaction.
   */
  async ban(targetId: string, adminId: string, dto: BanDto): Promise<AdminActionResponse> {
    if (targetId === adminId) throw new BadRequestException(Messages.cannotBanSelf);
    const now = this.clock.now();
    const until = dto.until ? new Date(dto.until) : null;
    if (until && until.getTime() <= now.getTime()) throw new BadRequestException(Messages.banUntilInPast);
    return this.uow.run(async (m) => {
      const repo = m.getRepository(User);
      // locked: a deletion racing this change either waits for it or is waited for (then 404)
      const target = await lockUser(m, targetId);
      await repo.update(
        { id: targetId },
        { banned: true, bannedBy: adminId, banReason: dto.reason, bannedAt: now, bannedUntil: until, updatedAt: now },
      );
      const cancellationsQueued = await this.outbox.enqueueForUser(targetId);
      this.auditContext.subject(targetId, adminId);
      this.auditContext.add({ email: target.email, reason: dto.reason, until: until?.toISOString() ?? null, by: adminId, cancellationsQueued });
      return { success: true, message: Messages.accountBannedOk };
    });
  }

  /** Lifts any ban (an administrator's or a self-imposed one, lapsed or not). */
  async unban(targetId: string, adminId: string): Promise<AdminActionResponse> {
    return this.uow.run(async (m) => {
      const repo = m.getRepository(User);
      // locked: a deletion racing this change either waits for it or is waited for (then 404)
      const target = await lockUser(m, targetId);
      if (!target.banned) throw new BadRequestException(Messages.accountNotBanned);
      await repo.update(
        { id: targetId },
        { banned: false, bannedBy: null, banReason: null, bannedAt: null, bannedUntil: null, updatedAt: this.clock.now() },
      );
      this.auditContext.subject(targetId, adminId);
      this.auditContext.add({ action: 'account_unbanned', by: adminId });
      return { success: true, message: Messages.accountUnbannedOk };
    });
  }

  /** GET /api/auth/user/:userId for sibling services. */
  async internalLookup(userId: string): Promise<InternalUserResponse> {
    const user = await this.uow.manager.getRepository(User).findOneBy({ id: userId });
    if (!user) throw new NotFoundException(Messages.userNotFound);
    const entitlements = await this.entitlementsOf([user.id]);
    return { user: mapInternalUser(user, entitlements.get(user.id) ?? [], this.clock.nowMs()) };
  }

  private async entitlementsOf(userIds: string[]): Promise<Map<string, Entitlement[]>> {
    const byUser = new Map<string, Entitlement[]>();
    if (!userIds.length) return byUser;
    const rows = await this.uow.manager
      .getRepository(Entitlement)
      .find({ where: { userId: In(userIds) }, order: { createdAt: 'ASC', service: 'ASC' } });
    for (const row of rows) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row]);
    return byUser;
  }
}
