import { randomUUID } from 'node:crypto';
import { Messages } from '../src/common/messages';
import { customerEvent, deliverWebhook, FakePolar, subscriptionEvent } from './support/fake-polar';
import { bearer, givenUser, GivenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const SECRET = 'drop-webhook-secret';
const PRODUCTS = { 'premium:monthly': 'prod_premium_monthly', 'premium:yearly': 'prod_premium_yearly', 'enterprise:monthly': 'prod_ent_monthly' };

describe('Billing: subscription, checkout and portal (against Polar)', () => {
  let fake: FakePolar;
  let t: TestApp;

  beforeAll(async () => {
    fake = await FakePolar.start();
    t = await createTestApp({
      env: {
        POLAR_API_URL: fake.url,
        POLAR_ACCESS_TOKEN: 'test-token',
        DROP_POLAR_SECRET: SECRET,
        MAILS_POLAR_SECRET: SECRET,
        POLAR_PRODUCTS: JSON.stringify(PRODUCTS),
        POLAR_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
    await dropSchema();
  });
  beforeEach(() => fake.reset());

  /** A user whose DROP entitlement holds a Polar subscription (through the webhook), known to the fake Polar. */
  async function givenSubscriber(service = 'drop'): Promise<GivenUser & { subscriptionId: string }> {
    const user = await givenUser(t);
    const subscriptionId = `sub_${randomUUID()}`;
    await deliverWebhook(t, { service, secret: SECRET, event: subscriptionEvent('subscription.created', { id: subscriptionId, userId: user.id, plan: 'premium' }) }).expect(200);
    return { ...user, subscriptionId };
  }

  describe('GET /api/subscription', () => {
    it("answers the caller's subscription as Polar reports it: unix seconds, Polar's currency and amount", async () => {
      const user = await givenSubscriber();
      fake.addSubscription({
        id: user.subscriptionId,
        status: 'active',
        amount: 4990,
        currency: 'eur',
        recurring_interval: 'year',
        current_period_start: '2025-03-01T00:00:00Z',
        current_period_end: '2026-03-01T00:00:00Z',
        cancel_at_period_end: true,
        metadata: { userId: user.id, plan: 'premium', billingCycle: 'yearly', service: 'DROP' },
        product: { id: 'prod_premium_yearly', name: 'DROP Premium (yearly)' },
      });
      const res = await t.http().get('/api/subscription?service=DROP').set(bearer(user.token)).expect(200);
      expect(res.body).toEqual({
        id: user.subscriptionId,
        status: 'active',
        currentPeriodStart: Date.parse('2025-03-01T00:00:00Z') / 1000,
        currentPeriodEnd: Date.parse('2026-03-01T00:00:00Z') / 1000,
        cancelAtPeriodEnd: true,
        plan: 'premium',
        billingCycle: 'yearly',
        price: { amount: 4990, currency: 'eur', interval: 'year' },
        product: { name: 'DROP Premium (yearly)' },
      });
      const [call] = fake.callsTo('GET', `/v1/subscriptions/${user.subscriptionId}`);
      expect(call.headers.authorization).toBe('Bearer test-token');
    });

    it('defaults to DROP, and derives plan and cycle when Polar has no metadata', async () => {
      const user = await givenSubscriber();
      fake.addSubscription({ id: user.subscriptionId, recurring_interval: 'month', metadata: {} });
      const res = await t.http().get('/api/subscription').set(bearer(user.token)).expect(200);
      expect(res.body).toMatchObject({ plan: 'premium', billingCycle: 'monthly', price: { currency: 'eur', interval: 'month' } });
    });

    it('answers 404 "No active subscription" without one (nothing asked of Polar)', async () => {
      const user = await givenUser(t);
      const res = await t.http().get('/api/subscription?service=DROP').set(bearer(user.token)).expect(404);
      expect(res.body).toEqual({ error: Messages.noActiveSubscription });
      // another service's subscription is not this one
      const other = await givenSubscriber('mails');
      await t.http().get('/api/subscription?service=DROP').set(bearer(other.token)).expect(404);
      expect(fake.calls).toEqual([]);
    });

    it('answers 404 when Polar no longer knows the subscription', async () => {
      const user = await givenSubscriber();
      const res = await t.http().get('/api/subscription').set(bearer(user.token)).expect(404);
      expect(res.body).toEqual({ error: Messages.noActiveSubscription });
    });

    it.each([
      ['Polar fails (500)', (id: string) => fake.fail(`/v1/subscriptions/${id}`, 500)],
      ['Polar answers nonsense', (id: string) => fake.fail(`/v1/subscriptions/${id}`, 200, 1, { body: { hello: 'world' } })],
      ['Polar is too slow', (id: string) => fake.hang(`/v1/subscriptions/${id}`, 2000)],
    ])('answers 502 "Failed to fetch subscription data" when %s', async (_name, script) => {
      const user = await givenSubscriber();
      fake.addSubscription({ id: user.subscriptionId });
      script(user.subscriptionId);
      const res = await t.http().get('/api/subscription').set(bearer(user.token)).expect(502);
      expect(res.body).toEqual({ error: Messages.subscriptionFetchFailed });
    });

    it('answers 400 for an unknown service, 401 without a token', async () => {
      const user = await givenUser(t);
      const res = await t.http().get('/api/subscription?service=NOPE').set(bearer(user.token)).expect(400);
      expect(res.body.error).toBe(Messages.invalidService);
      await t.http().get('/api/subscription').expect(401);
    });
  });

  describe('GET /api/polar/checkout', () => {
    it('creates a Polar checkout for the configured product, with our metadata, and redirects 307 to it', async () => {
      const user = await givenUser(t);
      const res = await t.http().get('/api/polar/checkout?plan=premium&billingCycle=yearly&service=DROP').set(bearer(user.token)).expect(307);
      const [call] = fake.callsTo('POST', '/v1/checkouts/');
      expect(call.headers.authorization).toBe('Bearer test-token');
      expect(call.body).toMatchObject({
        products: ['prod_premium_yearly'],
        metadata: { userId: user.id, plan: 'premium', billingCycle: 'yearly', service: 'DROP' },
        customer_metadata: { userId: user.id },
        customer_email: user.email,
      });
      expect(res.headers.location).toMatch(/^https:\/\/sandbox\.polar\.test\/checkout\/polar_c_/);
    });

    it('answers 200 {url} to a client that asks for JSON (a browser app cannot follow the redirect)', async () => {
      const user = await givenUser(t);
      const res = await t
        .http()
        .get('/api/polar/checkout?plan=enterprise&billingCycle=monthly')
        .set(bearer(user.token))
        .set('Accept', 'application/json')
        .expect(200);
      expect(res.body).toEqual({ url: expect.stringMatching(/^https:\/\/sandbox\.polar\.test\/checkout\//) });
      expect(fake.callsTo('POST', '/v1/checkouts/')[0].body).toMatchObject({ products: ['prod_ent_monthly'], metadata: { service: 'DROP' } });
    });

    it.each([
      ['?billingCycle=monthly', Messages.missingPlan],
      ['?plan=premium', Messages.missingPlan],
      ['?plan=&billingCycle=', Messages.missingPlan],
      ['?plan=premium&billingCycle=weekly', Messages.invalidPlan],
      ['?plan=gold&billingCycle=monthly', Messages.invalidPlan],
      ['?plan=enterprise&billingCycle=yearly', Messages.invalidPlan],
      ['?plan=constructor&billingCycle=monthly', Messages.invalidPlan],
    ])('GET /api/polar/checkout%s answers 400 "%s" and asks nothing of Polar', async (query, message) => {
      const user = await givenUser(t);
      const res = await t.http().get(`/api/polar/checkout${query}`).set(bearer(user.token)).expect(400);
      expect(res.body).toEqual({ error: message });
      expect(fake.calls).toEqual([]);
    });

    it('answers 502 "Failed to create checkout session" when Polar fails', async () => {
      const user = await givenUser(t);
      fake.fail('/v1/checkouts/', 500);
      const res = await t.http().get('/api/polar/checkout?plan=premium&billingCycle=monthly').set(bearer(user.token)).expect(502);
      expect(res.body).toEqual({ error: Messages.checkoutFailed });
    });
  });

  describe('GET /api/polar/portal', () => {
    it("redirects 307 to the customer's Polar portal (customer from the customer.created webhook)", async () => {
      const user = await givenUser(t);
      await deliverWebhook(t, { secret: SECRET, event: customerEvent('customer.created', { id: 'cus_portal', userId: user.id }) }).expect(200);
      const res = await t.http().get('/api/polar/portal').set(bearer(user.token)).expect(307);
      expect(res.headers.location).toMatch(/^https:\/\/sandbox\.polar\.test\/portal\?customer_session_token=/);
      const [call] = fake.callsTo('POST', '/v1/customer-sessions/');
      expect(call.body).toEqual({ customer_id: 'cus_portal' });
      expect(call.headers.authorization).toBe('Bearer test-token');

      const json = await t.http().get('/api/polar/portal').set(bearer(user.token)).set('Accept', 'application/json').expect(200);
      expect(json.body).toEqual({ url: expect.stringMatching(/^https:\/\/sandbox\.polar\.test\/portal/) });
    });

    it('answers 400 "No Polar customer ID found. Please contact support." without a Polar customer', async () => {
      const user = await givenUser(t);
      const res = await t.http().get('/api/polar/portal').set(bearer(user.token)).expect(400);
      expect(res.body).toEqual({ error: Messages.noPolarCustomer });
      expect(fake.calls).toEqual([]);
    });

    it('answers 502 when Polar fails', async () => {
      const user = await givenSubscriber(); // subscription.created stored its customer id
      fake.fail('/v1/customer-sessions/', 503);
      const res = await t.http().get('/api/polar/portal').set(bearer(user.token)).expect(502);
      expect(res.body).toEqual({ error: Messages.portalFailed });
    });
  });

  describe('without POLAR_ACCESS_TOKEN', () => {
    let bare: TestApp;
    beforeAll(async () => {
      bare = await createTestApp({
        env: { POLAR_API_URL: fake.url, POLAR_ACCESS_TOKEN: undefined, DROP_POLAR_SECRET: SECRET, POLAR_PRODUCTS: JSON.stringify(PRODUCTS) },
        alongside: true,
      });
    });
    afterAll(async () => {
      await bare.close();
    });

    it('sends nothing to Polar: the routes answer 502', async () => {
      const user = await givenUser(bare);
      const subscriptionId = `sub_${randomUUID()}`;
      await deliverWebhook(bare, { secret: SECRET, event: subscriptionEvent('subscription.created', { id: subscriptionId, userId: user.id, plan: 'premium' }) }).expect(200);
      fake.addSubscription({ id: subscriptionId });

      expect((await bare.http().get('/api/subscription').set(bearer(user.token)).expect(502)).body).toEqual({ error: Messages.subscriptionFetchFailed });
      expect((await bare.http().get('/api/polar/checkout?plan=premium&billingCycle=monthly').set(bearer(user.token)).expect(502)).body).toEqual({
        error: Messages.checkoutFailed,
      });
      expect((await bare.http().get('/api/polar/portal').set(bearer(user.token)).expect(502)).body).toEqual({ error: Messages.portalFailed });
      expect(fake.calls).toEqual([]);
    });
  });
});
