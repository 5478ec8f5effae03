import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { plainToInstance } from 'class-transformer';
import { isUUID, validate } from 'class-validator';
import type { EntityManager } from 'typeorm';
import type { AuditAction } from '../audit/audit-actions';
import { findLockedUser } from '../account/locked-user';
import { AuditService } from '../audit/audit.service';
import { User } from '../auth/entities/user.entity';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import { jsonHasNul } from '../common/nul-character';
import type { ServiceName } from '../common/services';
import { flatten } from '../common/validation.pipe';
import { polarConfig } from '../config/configuration';
import { Entitlement } from '../connect/entities/entitlement.entity';
import { isUniqueViolation } from '../database/db-errors';
import { UnitOfWork } from '../database/unit-of-work';
import { PolarCustomerData, PolarSubscriptionData, PolarWebhookEnvelope } from './dto/polar-webhook.dto';
import { CancellationOutbox } from './entities/cancellation-outbox.entity';
import { WebhookEvent } from './entities/webhook-event.entity';
import { verifyWebhookSignature, WebhookHeaders } from './webhook-signature';

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What became of a delivery (logged; every one of them is answered 200). */
export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored' | 'unknown-user' | 'stale';

/** Subscription events that (re)state the subscription: upsert the entitlement. */
const UPSERT_EVENTS: Record<string, AuditAction> = {
  'subscription.created': 'SUBSCRIPTION_CREATE',
  'subscription.updated': 'SUBSCRIPTION_UPDATE',
  'subscription.active': 'SUBSCRIPTION_UPDATE',
  'subscription.uncanceled': 'SUBSCRIPTION_UPDATE',
};
const SUBSCRIPTION_EVENTS = new Set([...Object.keys(UPSERT_EVENTS), 'subscription.canceled', 'subscription.revoked']);
const CUSTOMER_EVENTS = new Set(['customer.created', 'customer.updated']);
/** Polar statuses that grant the paid tier. */
const PREMIUM_STATUSES = new Set(['active', 'trialing']);

/** Thrown inside the transaction when the webhook-id is already recorded. */
class DuplicateDelivery extends Error {}

/**
 * Polar's webhooks, per service (flaw 16): the signature is checked first on the raw
 * body; each webhook-id is recorded in the same transaction as the event's effect and
 * its audit event, so a delivery is applied exactly once; a failure rolls everything
 * back and answers 500 so that Polar retries.
 */
@Injectable()
export class PolarWebhookService {
  private readonly logger = new Logger(PolarWebhookService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(polarConfig.KEY) private readonly config: ConfigType<typeof polarConfig>,
  ) {}

  verify(service: ServiceName, rawBody: Buffer, headers: WebhookHeaders): boolean {
    return verifyWebhookSignature(rawBody, headers, this.config.webhookSecrets[service], this.clock.nowMs());
  }

  /** JSON, then the envelope ({type, data}); 400 otherwise. */
  async parse(rawBody: Buffer): Promise<PolarWebhookEnvelope> {
    if (jsonHasNul(rawBody)) throw new BadRequestException(Messages.nulCharacter);
    let json: unknown;
    try {
      // Keys naming a prototype are never Polar's data; class-transformer throws a TypeError
      // on a nested `constructor` key (a 500 that Polar would retry for ever): drop them.
      json = JSON.parse(rawBody.toString('utf8'), (key, value: unknown) => (PROTOTYPE_KEYS.has(key) ? undefined : value));
    } catch {
      throw new BadRequestException(Messages.malformedJson);
    }
    return this.check(PolarWebhookEnvelope, json);
  }

  async process(service: ServiceName, webhookId: string, event: PolarWebhookEnvelope): Promise<WebhookOutcome> {
    const subscription = SUBSCRIPTION_EVENTS.has(event.type);
    if (!subscription && !CUSTOMER_EVENTS.has(event.type)) return 'ignored';
    // A redelivery of a processed event is answered at once (the insert below is the guard
    // against two deliveries racing; this read only spares the work).
    if (await this.uow.manager.getRepository(WebhookEvent).exists({ where: { id: webhookId } })) return 'duplicate';
    const data = subscription ? await this.check(PolarSubscriptionData, event.data) : await this.check(PolarCustomerData, event.data);

    try {
      return await this.uow.run(async (m) => {
        await this.recordDelivery(m, webhookId, service, event.type);
        if (data instanceof PolarSubscriptionData) return this.applySubscription(m, service, event.type, data);
        return this.linkCustomer(m, data);
      });
    } catch (error) {
      if (error instanceof DuplicateDelivery) return 'duplicate';
      throw error;
    }
  }

  private async recordDelivery(m: EntityManager, id: string, service: ServiceName, type: string): Promise<void> {
    try {
      await m.getRepository(WebhookEvent).insert({ id, service, type, receivedAt: this.clock.now() });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateDelivery();
      throw error;
    }
  }

  private async applySubscription(m: EntityManager, service: ServiceName, type: string, data: PolarSubscriptionData): Promise<WebhookOutcome> {
    const userId = await this.subscriber(m, service, data);
    if (!userId) return 'unknown-user';
    const entitlements = m.getRepository(Entitlement);
    const current = await entitlements.findOne({ where: { userId, service } });
    const now = this.clock.now();
    // A late event about an earlier subscription must not undo the current one.
    const otherSubscription = !!current?.polarSubscriptionId && current.polarSubscriptionId !== data.id;

    const upsertAction = UPSERT_EVENTS[type];
    if (upsertAction) {
      const isPremium = PREMIUM_STATUSES.has(data.status);
      if (otherSubscription && !isPremium) return 'stale';
      const tier = data.metadata?.plan ?? current?.tier ?? 'free';
      const fields = { tier, isPremium, polarSubscriptionId: data.id, polarSubscriptionStatus: data.status, updatedAt: now };
      if (current) await entitlements.update({ id: current.id }, fields);
      else await entitlements.insert(entitlements.create({ userId, service, connected: true, createdAt: now, ...fields }));
      if (data.customer_id) await m.getRepository(User).update({ id: userId }, { polarCustomerId: data.customer_id });
      await this.record(upsertAction, userId, { service, tier, isPremium, status: data.status });
      return 'applied';
    }

    if (type === 'subscription.canceled') {
      if (otherSubscription) return 'stale';
      // Still premium until Polar revokes it (at the end of the period).
      if (current) await entitlements.update({ id: current.id }, { polarSubscriptionId: data.id, polarSubscriptionStatus: data.status, updatedAt: now });
      await this.record('SUBSCRIPTION_CANCEL', userId, { service, status: data.status });
      return 'applied';
    }

    // subscription.revoked: back to free, only if it is the subscription we hold.
    if (!current || current.polarSubscriptionId !== data.id) return 'stale';
    await entitlements.update(
      { id: current.id },
      { tier: 'free', isPremium: false, polarSubscriptionId: null, polarSubscriptionStatus: null, updatedAt: now },
    );
    // Polar has revoked it: a queued cancellation has nothing left to do.
    await m
      .getRepository(CancellationOutbox)
      .update({ subscriptionId: data.id, status: 'pending' }, { status: 'done', doneAt: now, claimedUntil: null, claimedBy: null, updatedAt: now });
    await this.record('SUBSCRIPTION_REVOKE', userId, { service, tier: 'free', previousTier: current.tier });
    return 'applied';
  }

  /** metadata.userId (set by our checkout), else the entitlement that holds this subscription; locked (existingUser). */
  private async subscriber(m: EntityManager, service: ServiceName, data: PolarSubscriptionData): Promise<string | null> {
    const claimed = data.metadata?.userId;
    if (claimed !== undefined) return this.existingUser(m, claimed);
    const holder = await m.getRepository(Entitlement).findOne({ select: { userId: true }, where: { service, polarSubscriptionId: data.id } });
    return holder ? this.existingUser(m, holder.userId) : null;
  }

  private async linkCustomer(m: EntityManager, data: PolarCustomerData): Promise<WebhookOutcome> {
    const users = m.getRepository(User);
    let userId = data.metadata?.userId !== undefined ? await this.existingUser(m, data.metadata.userId) : null;
    if (!userId && data.email) {
      userId = (await users.findOne({ select: { id: true }, where: { email: data.email.trim().toLowerCase() } }))?.id ?? null;
    }
    if (!userId) return 'unknown-user';
    await users.update({ id: userId }, { polarCustomerId: data.id });
    return 'applied';
  }

  /**
   * The user, if there is one, its row locked for the rest of the transaction: before its
   * entitlement is read or written (findLockedUser), or its customer id set.
   */
  private async existingUser(m: EntityManager, id: string): Promise<string | null> {
    // Not a uuid: no such user (and PostgreSQL would refuse the comparison).
    if (!isUUID(id)) return null;
    return (await findLockedUser(m, id))?.id ?? null;
  }

  /** Billing events have no actor (spec, Audit): Polar did it. */
  private record(action: AuditAction, userId: string, data: Record<string, unknown>): Promise<void> {
    return this.audit.record([{ action, userId, actorId: null, data }]);
  }

  private async check<T extends object>(cls: new () => T, plain: unknown): Promise<T> {
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) throw new BadRequestException(Messages.invalidWebhookPayload);
    const instance = plainToInstance(cls, plain);
    const errors = await validate(instance, {
      whitelist: false,
      forbidNonWhitelisted: false,
      forbidUnknownValues: false,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    });
    if (errors.length) {
      const details = flatten(errors);
      throw new BadRequestException({ error: Messages.invalidWebhookPayload, details });
    }
    return instance;
  }
}
