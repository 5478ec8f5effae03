import { randomUUID } from 'node:crypto';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { AuditService } from '../src/audit/audit.service';
import { User } from '../src/auth/entities/user.entity';
import { CancellationOutbox } from '../src/billing/entities/cancellation-outbox.entity';
import { WebhookEvent } from '../src/billing/entities/webhook-event.entity';
import { Messages } from '../src/common/messages';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
import { customerEvent, deliverWebhook, signWebhook, subscriptionEvent, WebhookDelivery } from './support/fake-polar';
import { bearer, givenUser, GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const SECRETS = { drop: 'drop-webhook-secret', mails: 'mails-webhook-secret', vault: 'vault-webhook-secret' };

describe('Billing: Polar webhooks (POST /api/webhooks/{service})', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        DROP_POLAR_SECRET: SECRETS.drop,
        MAILS_POLAR_SECRET: SECRETS.mails,
        VAULT_POLAR_SECRET: SECRETS.vault,
        DB_POLAR_SECRET: undefined,
        POLAR_ACCESS_TOKEN: undefined,
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const send = (d: Omit<WebhookDelivery, 'secret'> & { secret?: string }) =>
    deliverWebhook(t, { secret: SECRETS[(d.service ?? 'drop') as keyof typeof SECRETS] ?? 'none', ...d });
  const entitlement = (userId: string, service = 'DROP') => t.dataSource.getRepository(Entitlement).findOne({ where: { userId, service: service as 'DROP' } });
  const userRow = (id: string) => t.dataSource.getRepository(User).findOneOrFail({ where: { id } });
  const auditRows = (userId: string, action?: string) =>
    t.dataSource.getRepository(AuditLog).find({ where: { userId, ...(action ? { action: action as 'UNKNOWN' } : {}) }, order: { createdAt: 'ASC' } });
  const webhookRow = (id: string) => t.dataSource.getRepository(WebhookEvent).findOne({ where: { id } });
  const subId = () => `sub_${randomUUID()}`;

  /** A user holding an active premium DROP subscription (through the webhook itself). */
  async function givenSubscriber(options: { plan?: string } = {}): Promise<GivenUser & { subscriptionId: string }> {
    const user = await givenUser(t);
    const subscriptionId = subId();
    await send({ event: subscriptionEvent('subscription.created', { id: subscriptionId, userId: user.id, plan: options.plan ?? 'premium' }) }).expect(200);
    return { ...user, subscriptionId };
  }

  describe('subscription events', () => {
    it('subscription.created: grants the plan as tier, stores the subscription and customer, audits SUBSCRIPTION_CREATE with no actor', async () => {
      const user = await givenUser(t);
      const id = subId();
      const res = await send({ event: subscriptionEvent('subscription.created', { id, userId: user.id, plan: 'premium', customerId: 'cus_123' }) }).expect(200);
      expect(res.body).toEqual({ received: true });

      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium', isPremium: true, connected: true, polarSubscriptionId: id, polarSubscriptionStatus: 'active' });
      expect((await userRow(user.id)).polarCustomerId).toBe('cus_123');
      const [event] = await auditRows(user.id, 'SUBSCRIPTION_CREATE');
      expect(event).toMatchObject({ actorId: null, data: { service: 'DROP', tier: 'premium', isPremium: true, status: 'active' } });
      // and the user sees it in their own log
      const log = await t.http().get('/api/audit?action=SUBSCRIPTION_CREATE').set(bearer(user.token)).expect(200);
      expect(log.body.total).toBe(1);
    });

    it('a subscription that is not yet paid (incomplete) is stored but not premium', async () => {
      const user = await givenUser(t);
      await send({ event: subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium', status: 'incomplete' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium', isPremium: false, polarSubscriptionStatus: 'incomplete' });
    });

    it('trialing counts as premium', async () => {
      const user = await givenUser(t);
      await send({ event: subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'pro', status: 'trialing' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'pro', isPremium: true });
    });

    it('updates an existing (free) entitlement instead of adding a second one', async () => {
      const user = await givenUser(t);
      const repo = t.dataSource.getRepository(Entitlement);
      // Storage setup: the free-tier claim as POST /api/services leaves it.
      await repo.insert(repo.create({ userId: user.id, service: 'DROP', tier: 'free', isPremium: false, connected: false, createdAt: new Date(), updatedAt: new Date() }));
      await send({ event: subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' }) }).expect(200);
      const rows = await repo.find({ where: { userId: user.id } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tier: 'premium', isPremium: true, connected: false });
    });

    it.each(['subscription.updated', 'subscription.active', 'subscription.uncanceled'])('%s: restates tier and status, audits SUBSCRIPTION_UPDATE', async (type) => {
      const user = await givenSubscriber();
      await send({ event: subscriptionEvent(type, { id: user.subscriptionId, userId: user.id, plan: 'enterprise', status: 'active' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'enterprise', isPremium: true, polarSubscriptionId: user.subscriptionId });
      const updates = await auditRows(user.id, 'SUBSCRIPTION_UPDATE');
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({ actorId: null, data: { service: 'DROP', tier: 'enterprise', status: 'active' } });
    });

    it('subscription.updated without a plan keeps the tier; a past_due status ends premium', async () => {
      const user = await givenSubscriber({ plan: 'premium' });
      await send({ event: subscriptionEvent('subscription.updated', { id: user.subscriptionId, userId: user.id, status: 'past_due' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium', isPremium: false, polarSubscriptionStatus: 'past_due' });
    });

    it('subscription.canceled: stores the status, stays premium until revoked, audits SUBSCRIPTION_CANCEL', async () => {
      const user = await givenSubscriber();
      await send({ event: subscriptionEvent('subscription.canceled', { id: user.subscriptionId, userId: user.id, status: 'active', extra: { cancel_at_period_end: true } }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium', isPremium: true, polarSubscriptionId: user.subscriptionId });
      const [event] = await auditRows(user.id, 'SUBSCRIPTION_CANCEL');
      expect(event).toMatchObject({ actorId: null, data: { service: 'DROP', status: 'active' } });

      await send({ event: subscriptionEvent('subscription.canceled', { id: user.subscriptionId, userId: user.id, status: 'canceled' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ isPremium: true, polarSubscriptionStatus: 'canceled' });
    });

    it('subscription.revoked: back to free, subscription forgotten, queued cancellation settled, audits SUBSCRIPTION_REVOKE', async () => {
      const user = await givenSubscriber({ plan: 'premium' });
      const outbox = t.dataSource.getRepository(CancellationOutbox);
      const now = new Date();
      // Storage setup: a cancellation queued by an account change, not yet delivered.
      await outbox.insert(outbox.create({ subscriptionId: user.subscriptionId, status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now }));

      await send({ event: subscriptionEvent('subscription.revoked', { id: user.subscriptionId, userId: user.id, status: 'canceled' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'free', isPremium: false, polarSubscriptionId: null, polarSubscriptionStatus: null });
      const [event] = await auditRows(user.id, 'SUBSCRIPTION_REVOKE');
      expect(event).toMatchObject({ actorId: null, data: { service: 'DROP', tier: 'free', previousTier: 'premium' } });
      expect(await outbox.findOneOrFail({ where: { subscriptionId: user.subscriptionId } })).toMatchObject({ status: 'done' });
    });

    it('a late revoke of an earlier subscription does not undo the current one', async () => {
      const user = await givenSubscriber();
      const current = subId();
      await send({ event: subscriptionEvent('subscription.created', { id: current, userId: user.id, plan: 'enterprise' }) }).expect(200);
      await send({ event: subscriptionEvent('subscription.revoked', { id: user.subscriptionId, userId: user.id, status: 'canceled' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'enterprise', isPremium: true, polarSubscriptionId: current });
      expect(await auditRows(user.id, 'SUBSCRIPTION_REVOKE')).toHaveLength(0);
    });

    it('without metadata.userId, finds the user by the subscription it already holds', async () => {
      const user = await givenSubscriber();
      await send({ event: subscriptionEvent('subscription.revoked', { id: user.subscriptionId, status: 'canceled' }) }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'free', isPremium: false });
    });

    it("the service is the route's: /api/webhooks/mails changes MAILS, whatever the metadata says", async () => {
      const user = await givenUser(t);
      const event = subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' });
      ((event.data as Record<string, unknown>).metadata as Record<string, unknown>).service = 'DROP';
      await send({ service: 'mails', event }).expect(200);
      expect(await entitlement(user.id, 'MAILS')).toMatchObject({ tier: 'premium', isPremium: true });
      expect(await entitlement(user.id, 'DROP')).toBeNull();
    });

    it('an event for a user that does not exist is acknowledged and changes nothing', async () => {
      const ghost = randomUUID();
      const before = await t.dataSource.getRepository(Entitlement).count();
      for (const userId of [ghost, 'not-a-uuid']) {
        const res = await send({ event: subscriptionEvent('subscription.created', { id: subId(), userId, plan: 'premium' }) }).expect(200);
        expect(res.body).toEqual({ received: true });
      }
      expect(await t.dataSource.getRepository(Entitlement).count()).toBe(before);
      expect(await t.dataSource.getRepository(AuditLog).count({ where: { userId: ghost } })).toBe(0);
    });
  });

  describe('customer events', () => {
    it('customer.created: stores the Polar customer id of metadata.userId', async () => {
      const user = await givenUser(t);
      await send({ event: customerEvent('customer.created', { id: 'cus_meta', userId: user.id, email: 'other@example.com' }) }).expect(200);
      expect((await userRow(user.id)).polarCustomerId).toBe('cus_meta');
    });

    it('customer.updated: finds the user by email, case folded', async () => {
      const user = await givenUser(t);
      await send({ event: customerEvent('customer.updated', { id: 'cus_email', email: `  ${user.email.toUpperCase()} ` }) }).expect(200);
      expect((await userRow(user.id)).polarCustomerId).toBe('cus_email');
    });

    it('a customer nobody here owns is acknowledged and changes nothing', async () => {
      await send({ event: customerEvent('customer.created', { id: 'cus_nobody', email: 'nobody-here@example.com' }) }).expect(200);
      expect(await t.dataSource.getRepository(User).count({ where: { polarCustomerId: 'cus_nobody' } })).toBe(0);
    });
  });

  describe('what is not processed', () => {
    it('an unknown event type is acknowledged and ignored', async () => {
      const user = await givenUser(t);
      const id = `msg_${randomUUID()}`;
      const res = await send({ id, event: { type: 'order.paid', data: { id: 'ord_1', metadata: { userId: user.id } } } }).expect(200);
      expect(res.body).toEqual({ received: true });
      expect(await webhookRow(id)).toBeNull();
      expect(await entitlement(user.id)).toBeNull();
    });

    it('malformed JSON (correctly signed) answers 400 "Malformed JSON body"', async () => {
      const res = await send({ body: '{"type": "subscription.created", ' }).expect(400);
      expect(res.body).toEqual({ error: Messages.malformedJson });
    });

    it('a NUL character (correctly signed) answers 400 and changes nothing, never a 500 Polar would retry', async () => {
      const user = await givenUser(t);
      const id = `msg_${randomUUID()}`;
      const body = JSON.stringify(subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'prem\u0000ium' }));
      expect(body).toContain('\\u0000');
      const res = await send({ id, body }).expect(400);
      expect(res.body).toEqual({ error: Messages.nulCharacter });
      expect(await webhookRow(id)).toBeNull();
      expect(await entitlement(user.id)).toBeNull();
    });

    it('checks the fields it uses (400 with details) and ignores the rest', async () => {
      const user = await givenUser(t);
      const bad = subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' });
      (bad.data as Record<string, unknown>).id = 42;
      const res = await send({ event: bad }).expect(400);
      expect(res.body).toEqual({ error: Messages.invalidWebhookPayload, details: [{ field: 'id', message: 'data.id must be a string' }] });
      expect(await entitlement(user.id)).toBeNull();

      await send({ event: { type: 'subscription.created', data: 'nope' } }).expect(400);
      await send({ body: '[1,2]' }).expect(400);

      const extra = subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium', extra: { brand_new_field: { nested: true } } });
      (extra as Record<string, unknown>).another = 'ignored';
      await send({ event: extra }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium' });
    });
  });

  describe('signature (403 {"received":false}, nothing processed)', () => {
    let user: GivenUser;
    const event = () => subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' });
    const nowSec = () => Math.floor(t.clock.nowMs() / 1000);

    beforeEach(async () => {
      user = await givenUser(t);
    });
    afterEach(async () => {
      expect(await entitlement(user.id)).toBeNull();
      expect(await auditRows(user.id, 'SUBSCRIPTION_CREATE')).toHaveLength(0);
    });

    const refused = async (res: { status: number; body: unknown }, id?: string) => {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ received: false });
      if (id) expect(await webhookRow(id)).toBeNull();
    };

    it('refuses another secret', async () => {
      await refused(await send({ secret: 'not-the-drop-secret', event: event() }));
    });

    it("refuses another service's secret (each route has its own)", async () => {
      await refused(await send({ service: 'drop', secret: SECRETS.mails, event: event() }));
    });

    it('refuses an altered body', async () => {
      const body = JSON.stringify(event());
      const id = 'msg_altered';
      const ts = nowSec();
      const signature = signWebhook(SECRETS.drop, id, ts, body);
      await refused(await send({ id, timestamp: ts, signature, body: body.replace('"premium"', '"enterprise"') }), id);
    });

    it('refuses a timestamp more than 5 minutes old, or ahead', async () => {
      await refused(await send({ event: event(), timestamp: nowSec() - 301 }));
      await refused(await send({ event: event(), timestamp: nowSec() + 301 }));
    });

    it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)('refuses a delivery without %s', async (name) => {
      await refused(await send({ event: event(), omit: [name] }));
    });

    it('refuses everything on a service with no secret configured (DB_POLAR_SECRET unset)', async () => {
      await refused(await send({ service: 'db', secret: '', event: event() }));
      await refused(await send({ service: 'db', secret: 'anything', event: event() }));
    });

    it('refuses a signature that is not v1', async () => {
      const body = JSON.stringify(event());
      const ts = nowSec();
      await refused(await send({ id: 'msg_v2', timestamp: ts, body, signature: signWebhook(SECRETS.drop, 'msg_v2', ts, body).replace('v1,', 'v2,') }));
    });
  });

  describe('signature (accepted)', () => {
    it('accepts a delivery 4 minutes old or ahead (clock skew), and one good entry among several', async () => {
      const now = Math.floor(t.clock.nowMs() / 1000);
      for (const ts of [now - 240, now + 240]) {
        const user = await givenUser(t);
        const body = JSON.stringify(subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' }));
        const id = `msg_${randomUUID()}`;
        const signature = `${signWebhook('old-secret', id, ts, body)} ${signWebhook(SECRETS.drop, id, ts, body)}`;
        await deliverWebhook(t, { secret: SECRETS.drop, id, timestamp: ts, body, signature }).expect(200);
        expect(await entitlement(user.id)).toMatchObject({ tier: 'premium' });
      }
    });

    it('needs no bearer token, and an unknown service route is 404', async () => {
      await t.http().post('/api/webhooks/other').set('Content-Type', 'application/json').send('{}').expect(404);
    });
  });

  describe('each webhook-id is processed once', () => {
    it('a redelivery answers 200 at once and changes nothing again', async () => {
      const user = await givenUser(t);
      const id = `msg_${randomUUID()}`;
      const event = subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' });
      await send({ id, event }).expect(200);
      expect(await webhookRow(id)).toMatchObject({ service: 'DROP', type: 'subscription.created' });

      // Same id, even re-signed with a different body: not applied again.
      const changed = subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'enterprise' });
      const again = await send({ id, event: changed }).expect(200);
      expect(again.body).toEqual({ received: true });
      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium' });
      expect(await auditRows(user.id, 'SUBSCRIPTION_CREATE')).toHaveLength(1);
    });

    it('concurrent deliveries of one id apply it once', async () => {
      const user = await givenUser(t);
      const id = `msg_${randomUUID()}`;
      const event = subscriptionEvent('subscription.created', { id: subId(), userId: user.id, plan: 'premium' });
      const answers = await Promise.all([1, 2, 3].map(() => send({ id, event })));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(await auditRows(user.id, 'SUBSCRIPTION_CREATE')).toHaveLength(1);
    });

    it('a failing handler answers 500, keeps nothing (not even the id), and the retried delivery succeeds', async () => {
      const user = await givenSubscriber({ plan: 'premium' });
      const id = `msg_${randomUUID()}`;
      const event = subscriptionEvent('subscription.updated', { id: user.subscriptionId, userId: user.id, plan: 'enterprise' });
      const audit = t.app.get(AuditService);
      const spy = jest.spyOn(audit, 'record').mockRejectedValueOnce(new Error('database hiccup'));
      try {
        const res = await send({ id, event }).expect(500);
        expect(res.body).toEqual({ error: Messages.internalError });
      } finally {
        spy.mockRestore();
      }
      // Rolled back: the entitlement written before the failure, and the webhook-id.
      expect(await entitlement(user.id)).toMatchObject({ tier: 'premium' });
      expect(await webhookRow(id)).toBeNull();

      await send({ id, event }).expect(200);
      expect(await entitlement(user.id)).toMatchObject({ tier: 'enterprise' });
      expect(await auditRows(user.id, 'SUBSCRIPTION_UPDATE')).toHaveLength(1);
      expect(await webhookRow(id)).not.toBeNull();
    });
  });

  it('documents the four routes, their headers and {received} answers in OpenAPI', async () => {
    const doc = await t.http().get('/api/docs-json').expect(200);
    for (const s of ['drop', 'mails', 'vault', 'db']) {
      const op = doc.body.paths[`/api/webhooks/${s}`]?.post;
      expect(op).toBeDefined();
      expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']));
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '500']));
      expect(op.security).toBeUndefined();
    }
  });
});
