import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { lockUser } from '../account/locked-user';
import { AuditContext } from '../audit/audit-context';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import type { ServiceName } from '../common/services';
import { UnitOfWork } from '../database/unit-of-work';
import type { ConnectionCheckResponse, ConnectionResponse, EntitlementListResponse, EntitlementResponse } from './dto/connect.dto';
import { type EntitlementDto, toEntitlementDto } from './dto/entitlement.dto';
import { Entitlement } from './entities/entitlement.entity';

export const FREE_TIER = 'free';

/** What an administrator may set on an entitlement (billing writes the rest). */
export type EntitlementChanges = Partial<
  Pick<Entitlement, 'tier' | 'isPremium' | 'accessFlags' | 'metadata' | 'customStorageLimit' | 'customApiKeyLimit'>
>;

/**
 * Service entitlements. A user can only claim the free tier of a service for itself
 * (flaw 6); tiers are otherwise written by administrators (here) and billing webhooks.
 */
@Injectable()
export class EntitlementService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly auditContext: AuditContext,
  ) {}

  async list(userId: string, service?: ServiceName): Promise<EntitlementListResponse> {
    const rows = await this.uow.manager.getRepository(Entitlement).find({
      where: service ? { userId, service } : { userId },
      order: { createdAt: 'ASC', service: 'ASC' },
    });
    return { entitlements: rows.map(toEntitlementDto) };
  }

  /** From the entitlements the JWT guard read with the session (no query of its own). */
  check(entitlements: readonly EntitlementDto[], service: ServiceName): ConnectionCheckResponse {
    const row = entitlements.find((e) => e.service === service);
    if (!row) return { connected: false, service, message: Messages.noEntitlement };
    return { connected: row.connected, service, tier: row.tier, isPremium: row.isPremium };
  }

  /**
   * Connect or disconnect (seed 000). The flag is flipped by a conditional UPDATE, so of
   * two concurrent calls exactly one changes it and is audited; the other answers
   * "Already …" and writes no event.
   */
  async setConnected(userId: string, service: ServiceName, connected: boolean): Promise<ConnectionResponse> {
    return this.uow.run(async (m) => {
      // locked first, as by every writer of entitlements (findLockedUser)
      await lockUser(m, userId);
      const repo = m.getRepository(Entitlement);
      const result = await repo.update({ userId, service, connected: !connected }, { connected, updatedAt: this.clock.now() });
      const row = await repo.findOneBy({ userId, service });
      if (!row) throw new NotFoundException(Messages.entitlementNotFound);
      if (!result.affected) {
        this.auditContext.skip();
        return { connected, service, message: connected ? Messages.alreadyConnected : Messages.alreadyDisconnected };
      }
      this.auditContext.add({ service });
      return {
        connected,
        service: row.service,
        tier: row.tier,
        isPremium: row.isPremium,
        message: connected ? Messages.connectedOk : Messages.disconnectedOk,
      };
    });
  }

  /**
   * The free-tier claim: creates `{tier:"free", isPremium:false}` if the caller has no
   * entitlement for the service, else returns the existing one untouched. Concurrent
   * claims meet the (user_id, service) UNIQUE index: the loser's insert does nothing and
   * it returns the winner's row (never a 500). Audited only when a row was created.
   */
  async claimFree(userId: string, service: ServiceName): Promise<EntitlementResponse> {
    return this.uow.run(async (m) => {
      // locked: a claim racing the account's deletion answers 404, not a foreign-key 500
      await lockUser(m, userId);
      const { row, created } = await this.ensure(m, userId, service);
      if (created) this.auditContext.add({ service, tier: row.tier });
      else this.auditContext.skip();
      return { entitlement: toEntitlementDto(row) };
    });
  }

  /**
   * An administrator creates or changes a user's entitlement. Audited on the target's
   * log with the administrator as actor: SERVICE_TIER_CHANGE when an existing
   * entitlement's tier changes, else SERVICE_ACCESS_GRANT.
   */
  async grant(targetId: string, adminId: string, service: ServiceName, changes: EntitlementChanges): Promise<EntitlementResponse> {
    return this.uow.run(async (m) => {
      // locked: a deletion racing this change either waits for it or is waited for (then 404)
      await lockUser(m, targetId);
      const { row: before, created } = await this.ensure(m, targetId, service);
      const repo = m.getRepository(Entitlement);
      const fields = Object.keys(changes);
      if (fields.length) await repo.update({ id: before.id }, Object.assign({}, changes, { updatedAt: this.clock.now() }));
      const after = await repo.findOneByOrFail({ id: before.id });
      const tierChanged = !created && before.tier !== after.tier;
      this.auditContext.subject(targetId, adminId);
      if (tierChanged) this.auditContext.action('SERVICE_TIER_CHANGE');
      const data: Record<string, unknown> = { service, tier: after.tier, isPremium: after.isPremium, created, fields, by: adminId };
      if (tierChanged) data.previousTier = before.tier;
      this.auditContext.add(data);
      return { entitlement: toEntitlementDto(after) };
    });
  }

  /** The user's entitlement for the service, created on the free tier if absent. */
  private async ensure(m: EntityManager, userId: string, service: ServiceName): Promise<{ row: Entitlement; created: boolean }> {
    const repo = m.getRepository(Entitlement);
    const now = this.clock.now();
    const fresh = repo.create({
      userId,
      service,
      tier: FREE_TIER,
      isPremium: false,
      connected: true,
      accessFlags: null,
      metadata: null,
      customStorageLimit: null,
      customApiKeyLimit: null,
      polarSubscriptionId: null,
      polarSubscriptionStatus: null,
      createdAt: now,
      updatedAt: now,
    });
    // INSERT … ON CONFLICT DO NOTHING: a unique violation would abort a PostgreSQL
    // transaction, this does not.
    await m.createQueryBuilder().insert().into(Entitlement).values(fresh).orIgnore().updateEntity(false).execute();
    const row = await repo.findOneByOrFail({ userId, service });
    return { row, created: row.id === fresh.id };
  }
}
