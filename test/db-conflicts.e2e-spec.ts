import { Client } from 'pg';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { User } from '../src/auth/entities/user.entity';
import { Messages } from '../src/common/messages';
import { bearer, givenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const onPostgres = process.env.DATABASE_URL?.startsWith('postgres') ? describe : describe.skip;

/**
 * A transaction PostgreSQL aborts for a conflict with another one (a deadlock, 40P01) is
 * not the caller's fault and not a bug: the change rolled back whole, and the same request
 * can succeed a moment later. It answers 503 with Retry-After, never a 500, and leaves
 * nothing half-written. The other transaction here is the test's own connection, which
 * takes the two rows of a profile change (the user, then its audit total) in the opposite
 * order; PostgreSQL's deadlock check aborts the app's side, whose wait began first (the
 * test's connection waits 30 s before it would look). PostgreSQL only: SQLite runs one
 * transaction at a time.
 */
onPostgres('Transactions aborted by a conflict (PostgreSQL)', () => {
  let t: TestApp;
  let other: Client;
  const schema = process.env.DATABASE_SCHEMA!;

  beforeAll(async () => {
    t = await createTestApp();
    other = new Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    await other.query(`SET search_path TO "${schema}"`);
  });
  afterAll(async () => {
    await other.end();
    await t.close();
    await dropSchema();
  });

  /** Resolves once some statement of the app waits for a lock the test's connection holds. */
  async function appWaitsForALock(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await other.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND datname = current_database()`,
      );
      if (rows[0].n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the app never waited for the lock');
  }

  it('a deadlock answers 503 "Service temporarily unavailable" with Retry-After; nothing of the change is written', async () => {
    const u = await givenUser(t);
    // One change first, so the user's USER_UPDATE total exists for the test to lock.
    expect((await t.http().patch('/api/auth/me').set(bearer(u.token)).send({ displayName: 'Before' })).status).toBe(200);
    const events = () => t.dataSource.getRepository(AuditLog).countBy({ userId: u.id, action: 'USER_UPDATE' });
    expect(await events()).toBe(1);

    await other.query('BEGIN');
    try {
      await other.query(`SET LOCAL deadlock_timeout = '30s'`);
      await other.query(`SELECT total FROM audit_log_totals WHERE user_id = $1 AND action = 'USER_UPDATE' FOR UPDATE`, [u.id]);
      // The app updates the user row, then its audit event's trigger waits for that total.
      const change = t.http().patch('/api/auth/me').set(bearer(u.token)).send({ displayName: 'During' }).then((r) => r);
      await appWaitsForALock();
      // The test now waits for the user row the app holds: a cycle.
      const ours = other.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [u.id]);
      const res = await change;
      await ours;

      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: Messages.serviceUnavailable });
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await other.query('ROLLBACK');
    }
    expect((await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id })).displayName).toBe('Before');
    expect(await events()).toBe(1);

    // Once the other transaction is gone, the same request succeeds.
    const again = await t.http().patch('/api/auth/me').set(bearer(u.token)).send({ displayName: 'After' });
    expect(again.status).toBe(200);
    expect(again.body.user.displayName).toBe('After');
    expect(await events()).toBe(2);
  });
});
