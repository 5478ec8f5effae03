import { randomUUID } from 'node:crypto';
import { CancellationOutboxService } from '../src/billing/cancellation-outbox.service';
import { CancellationOutboxWorker } from '../src/billing/cancellation-outbox.worker';
import { CancellationOutbox } from '../src/billing/entities/cancellation-outbox.entity';
import { FIRST_RETRY_MS, MAX_ATTEMPTS, MAX_RETRY_DELAY_MS } from '../src/billing/outbox-backoff';
import { UnitOfWork } from '../src/database/unit-of-work';
import { deliverWebhook, FakePolar, subscriptionEvent } from './support/fake-polar';
import { givenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const SECRET = 'drop-webhook-secret';

/**
 * The cancellation outbox (flaw 8): rows written in the account change's transaction,
 * delivered to Polar by the worker. Passes are driven with deliverDue() and the manual
 * clock; the poll interval (OUTBOX_POLL_MS) is far longer than any test.
 */
describe('Billing: cancellation outbox', () => {
  let fake: FakePolar;
  const apps: TestApp[] = [];

  const boot = async (env: Record<string, string | undefined> = {}) => {
    const t = await createTestApp({
      env: { POLAR_API_URL: fake.url, POLAR_ACCESS_TOKEN: 'test-token', DROP_POLAR_SECRET: SECRET, MAILS_POLAR_SECRET: SECRET, POLAR_TIMEOUT_MS: '300', ...env },
    });
    apps.push(t);
    return t;
  };
  const close = async (t: TestApp) => {
    apps.splice(apps.indexOf(t), 1);
    await t.close();
  };

  beforeAll(async () => {
    fake = await FakePolar.start();
  });
  afterAll(async () => {
    // Last opened, first closed: each close restores the settings the previous app saw.
    for (const t of apps.reverse()) await t.close();
    await fake.close();
    await dropSchema();
  });
  beforeEach(() => fake.reset());

  const worker = (t: TestApp) => t.app.get(CancellationOutboxWorker);
  const rowsFor = (t: TestApp, subscriptionId: string) => t.dataSource.getRepository(CancellationOutbox).find({ where: { subscriptionId } });
  const rowFor = async (t: TestApp, subscriptionId: string) => {
    const rows = await rowsFor(t, subscriptionId);
    expect(rows).toHaveLength(1);
    return rows[0];
  };
  const deletes = (subscriptionId: string) => fake.callsTo('DELETE', `/v1/subscriptions/${subscriptionId}`);

  /** A user with a Polar subscription (through the webhook), and its cancellation queued as the account routes do. */
  async function givenQueuedCancellation(t: TestApp, options: { knownToPolar?: boolean; services?: string[] } = {}) {
    const user = await givenUser(t);
    const ids: string[] = [];
    for (const service of options.services ?? ['drop']) {
      const id = `sub_${randomUUID()}`;
      ids.push(id);
      await deliverWebhook(t, { service, secret: SECRET, event: subscriptionEvent('subscription.created', { id, userId: user.id, plan: 'premium' }) }).expect(200);
      if (options.knownToPolar !== false) fake.addSubscription({ id });
    }
    const queued = await t.app.get(UnitOfWork).run(() => t.app.get(CancellationOutboxService).enqueueForUser(user.id));
    return { user, subscriptionId: ids[0], ids, queued };
  }

  describe('with POLAR_ACCESS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await boot();
    });
    afterAll(async () => {
      await close(t);
    });

    it('queues one row per subscription, holding the subscription id and not the user id', async () => {
      const { user, ids, queued } = await givenQueuedCancellation(t, { services: ['drop', 'mails'] });
      expect(queued).toBe(2);
      for (const id of ids) expect(await rowFor(t, id)).toMatchObject({ status: 'pending', attempts: 0 });
      const columns = t.dataSource.getMetadata(CancellationOutbox).columns.map((c) => c.propertyName);
      expect(columns).not.toContain('userId');
      // A second account change before delivery queues nothing twice.
      expect(await t.app.get(UnitOfWork).run(() => t.app.get(CancellationOutboxService).enqueueForUser(user.id))).toBe(0);
      await worker(t).deliverDue();
    });

    it('delivers DELETE /v1/subscriptions/{id} with the bearer token, marks the row done, and never sends it again', async () => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      expect(await worker(t).deliverDue()).toBe(1);

      const [call] = deletes(subscriptionId);
      expect(call.headers.authorization).toBe('Bearer test-token');
      expect(fake.subscriptions.get(subscriptionId)?.status).toBe('canceled');
      const row = await rowFor(t, subscriptionId);
      expect(row).toMatchObject({ status: 'done', attempts: 1, lastError: null, claimedUntil: null, claimedBy: null });
      expect(row.doneAt).toBeInstanceOf(Date);

      // However long we wait and however often the worker runs: no second call.
      t.clock.advance(24 * 60 * 60 * 1000);
      expect(await worker(t).deliverDue()).toBe(0);
      expect(deletes(subscriptionId)).toHaveLength(1);
    });

    it('retries after Polar answered 503 three times, with backoff (first within 5 s, doubling), then is done', async () => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      fake.fail(`/v1/subscriptions/${subscriptionId}`, 503, 3, { method: 'DELETE' });
      const delays: number[] = [];

      for (let attempt = 1; attempt <= 3; attempt++) {
        const before = t.clock.nowMs();
        expect(await worker(t).deliverDue()).toBe(1);
        const row = await rowFor(t, subscriptionId);
        expect(row).toMatchObject({ status: 'pending', attempts: attempt, lastError: expect.stringContaining('503'), claimedUntil: null });
        expect(row.lastError).not.toContain('test-token');
        const delay = row.nextAttemptAt.getTime() - before;
        delays.push(delay);
        // Not due yet: a pass right now sends nothing.
        expect(await worker(t).deliverDue()).toBe(0);
        expect(deletes(subscriptionId)).toHaveLength(attempt);
        t.clock.advance(delay + 1000);
      }
      expect(delays[0]).toBeLessThanOrEqual(FIRST_RETRY_MS + 1000);
      expect(delays[1]).toBeGreaterThan(delays[0]);
      expect(delays[2]).toBeGreaterThan(delays[1]);

      expect(await worker(t).deliverDue()).toBe(1);
      expect(deletes(subscriptionId)).toHaveLength(4);
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'done', attempts: 4 });
    });

    it('counts 404 (Polar does not know it) as done', async () => {
      const { subscriptionId } = await givenQueuedCancellation(t, { knownToPolar: false });
      await worker(t).deliverDue();
      expect(deletes(subscriptionId)).toHaveLength(1);
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'done', attempts: 1 });
      t.clock.advance(MAX_RETRY_DELAY_MS);
      await worker(t).deliverDue();
      expect(deletes(subscriptionId)).toHaveLength(1);
    });

    it('counts 403 AlreadyCanceledSubscription as done', async () => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      fake.subscriptions.get(subscriptionId)!.status = 'canceled';
      await worker(t).deliverDue();
      expect(deletes(subscriptionId)).toHaveLength(1);
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'done' });
    });

    it.each([400, 401, 422])('marks the row dead after a permanent %i, logs and counts it, and stops sending', async (status) => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      fake.fail(`/v1/subscriptions/${subscriptionId}`, status, 1, { method: 'DELETE' });
      const deadBefore = worker(t).stats.dead;
      const deadRowsBefore = await worker(t).deadCount();
      await worker(t).deliverDue();
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'dead', attempts: 1, lastError: expect.stringContaining(String(status)) });
      expect(worker(t).stats.dead).toBe(deadBefore + 1);
      expect(await worker(t).deadCount()).toBe(deadRowsBefore + 1);
      t.clock.advance(MAX_RETRY_DELAY_MS);
      await worker(t).deliverDue();
      expect(deletes(subscriptionId)).toHaveLength(1);
    });

    it(`gives up after ${MAX_ATTEMPTS} failed attempts (dead), never waiting more than 5 minutes between them`, async () => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      fake.fail(`/v1/subscriptions/${subscriptionId}`, 502, MAX_ATTEMPTS + 5, { method: 'DELETE' });
      for (let i = 1; i <= MAX_ATTEMPTS; i++) {
        const before = t.clock.nowMs();
        expect(await worker(t).deliverDue()).toBe(1);
        const row = await rowFor(t, subscriptionId);
        if (i < MAX_ATTEMPTS) {
          expect(row).toMatchObject({ status: 'pending', attempts: i });
          expect(row.nextAttemptAt.getTime() - before).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS + 1000);
        }
        t.clock.advance(MAX_RETRY_DELAY_MS + 1000);
      }
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
      await worker(t).deliverDue();
      expect(deletes(subscriptionId)).toHaveLength(MAX_ATTEMPTS);
    });

    it('retries when Polar does not answer within POLAR_TIMEOUT_MS', async () => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      fake.hang(`/v1/subscriptions/${subscriptionId}`, 2_000);
      await worker(t).deliverDue();
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/did not answer within 300 ms/) });
      t.clock.advance(FIRST_RETRY_MS + 1000);
      await worker(t).deliverDue();
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'done', attempts: 2 });
    });

    it('leaves a row claimed by another instance alone until its claim expires', async () => {
      const { subscriptionId } = await givenQueuedCancellation(t);
      const repo = t.dataSource.getRepository(CancellationOutbox);
      // Storage setup: another instance's live claim (as a crashed worker would leave it).
      await repo.update({ subscriptionId }, { claimedBy: 'other-instance', claimedUntil: new Date(t.clock.nowMs() + 60_000) });
      expect(await worker(t).deliverDue()).toBe(0);
      expect(deletes(subscriptionId)).toHaveLength(0);
      t.clock.advance(61_000);
      expect(await worker(t).deliverDue()).toBe(1);
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'done', claimedBy: null });
    });
  });

  it('polls by itself every OUTBOX_POLL_MS once the app has started', async () => {
    const t = await boot({ OUTBOX_POLL_MS: '50' });
    try {
      const { subscriptionId } = await givenQueuedCancellation(t);
      // Waits for the worker's own timer to deliver (an event, bounded), not for time to pass.
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (await rowFor(t, subscriptionId)).status !== 'done') await new Promise((r) => setTimeout(r, 20));
      expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'done', attempts: 1 });
      expect(deletes(subscriptionId)).toHaveLength(1);
    } finally {
      await close(t);
    }
  });

  it('survives a restart between attempts: a new app on the same database delivers the row', async () => {
    const first = await boot();
    const { subscriptionId } = await givenQueuedCancellation(first);
    fake.fail(`/v1/subscriptions/${subscriptionId}`, 503, 1, { method: 'DELETE' });
    await worker(first).deliverDue();
    expect(await rowFor(first, subscriptionId)).toMatchObject({ status: 'pending', attempts: 1 });
    const clockAtStop = first.clock.nowMs();
    await close(first);

    const second = await boot();
    second.clock.advance(clockAtStop - second.clock.nowMs());
    expect(await worker(second).deliverDue()).toBe(0); // not due yet: the backoff survived too
    second.clock.advance(FIRST_RETRY_MS + 1000);
    expect(await worker(second).deliverDue()).toBe(1);
    expect(deletes(subscriptionId)).toHaveLength(2);
    expect(await rowFor(second, subscriptionId)).toMatchObject({ status: 'done', attempts: 2 });
    await close(second);
  });

  // Two instances in ONE process can only be simulated on PostgreSQL: better-sqlite3 is
  // synchronous, so an instance waiting for SQLite's write lock blocks the thread of the
  // instance holding it. On SQLite the claim is a single UPDATE (atomic under the write
  // lock); "leaves a row claimed by another instance alone" covers the claim column there.
  const onPostgres = process.env.DATABASE_URL?.startsWith('postgres') ? it : it.skip;
  onPostgres('two instances on one database deliver each row exactly once', async () => {
    const a = await boot();
    const b = await boot();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await givenQueuedCancellation(a)).subscriptionId);
      b.clock.advance(a.clock.nowMs() - b.clock.nowMs());
      const [byA, byB] = await Promise.allSettled([worker(a).deliverDue(), worker(b).deliverDue()]).then((r) =>
        r.map((x) => (x.status === 'fulfilled' ? x.value : Promise.reject(x.reason))),
      );
      expect(Number(await byA) + Number(await byB)).toBe(ids.length);
      for (const id of ids) {
        expect(deletes(id)).toHaveLength(1);
        expect(await rowFor(a, id)).toMatchObject({ status: 'done' });
      }
    } finally {
      await close(b);
      await close(a);
    }
  });

  it('without POLAR_ACCESS_TOKEN: nothing is queued and nothing is ever sent', async () => {
    const t = await boot({ POLAR_ACCESS_TOKEN: undefined });
    const { subscriptionId, queued } = await givenQueuedCancellation(t);
    expect(queued).toBe(0);
    expect(await rowsFor(t, subscriptionId)).toEqual([]);

    // Even a row left from a time with a token is not sent.
    const repo = t.dataSource.getRepository(CancellationOutbox);
    const now = new Date(t.clock.nowMs());
    await repo.insert(repo.create({ subscriptionId, status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now }));
    t.clock.advance(MAX_RETRY_DELAY_MS);
    expect(await worker(t).deliverDue()).toBe(0);
    expect(fake.calls).toEqual([]);
    expect(await rowFor(t, subscriptionId)).toMatchObject({ status: 'pending', attempts: 0 });
    await repo.delete({ subscriptionId });
    await close(t);
  });
});
