// jest.spyOn needs node:crypto's own exports object (an ES namespace import is frozen).
// eslint-disable-next-line @typescript-eslint/no-require-imports
import crypto = require('node:crypto');
import { Session } from '../src/auth/entities/session.entity';
import { User, USER_SECRET_PROPERTIES } from '../src/auth/entities/user.entity';
import { SessionService } from '../src/auth/session.service';
import { AuditContext } from '../src/audit/audit-context';
import { AuditService } from '../src/audit/audit.service';
import { sha256Hex } from '../src/common/crypto/hash';
import { UnitOfWork } from '../src/database/unit-of-work';
import { auditEvents, bearer, givenUser } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * UnitOfWork on the real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL):
 * the open transaction travels with the async call chain, a nested run joins it, the audit
 * hook writes inside it, and a failure anywhere rolls all of it back.
 */
describe('UnitOfWork: one transaction per change, carried by the async call chain', () => {
  let t: TestApp;
  let uow: UnitOfWork;
  beforeAll(async () => {
    t = await createTestApp();
    uow = t.app.get(UnitOfWork);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const displayNameOf = async (id: string) => (await t.dataSource.getRepository(User).findOneByOrFail({ id })).displayName;

  it('the token check reads the same session, user and entitlements inside a transaction as outside one', async () => {
    const u = await givenUser(t);
    const [, payload] = u.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sid: string; jti: string };
    const sessions = t.app.get(SessionService);
    const outside = await sessions.findLive(claims.sid, sha256Hex(claims.jti));
    const inside = await uow.run(() => sessions.findLive(claims.sid, sha256Hex(claims.jti)));
    expect(outside?.session.user.email).toBe(u.email);
    expect(inside).toEqual(outside);
  });

  it('the token check reads its session and user (but the user’s secrets) column for column as TypeORM’s repositories do', async () => {
    const u = await givenUser(t);
    await t.dataSource.getRepository(User).update({ id: u.id }, { bannedAt: new Date('2026-01-02T03:04:05.678Z'), displayName: 'Ada' });
    const [, payload] = u.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sid: string; jti: string };
    const live = await t.app.get(SessionService).findLive(claims.sid, sha256Hex(claims.jti));
    const { user, ...session } = live!.session;
    expect(session).toEqual(await t.dataSource.getRepository(Session).findOneByOrFail({ id: claims.sid }));
    // every column of the user but its secrets, which the token check does not read
    const whole: Partial<User> = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
    for (const secret of USER_SECRET_PROPERTIES) delete whole[secret];
    expect(user).toEqual(whole);
    expect(user.bannedAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
  });

  it('reads build entities without their constructors (no random id drawn per row); create() still runs them', async () => {
    const u = await givenUser(t);
    const [, payload] = u.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sid: string; jti: string };
    const draws = jest.spyOn(crypto, 'randomUUID');
    try {
      const user = await t.dataSource.getRepository(User).findOneByOrFail({ id: u.id });
      const live = await t.app.get(SessionService).findLive(claims.sid, sha256Hex(claims.jti));
      expect(user).toBeInstanceOf(User);
      expect(user.id).toBe(u.id);
      expect(live?.session).toBeInstanceOf(Session);
      expect(live?.session.user).toBeInstanceOf(User);
      expect(draws).not.toHaveBeenCalled();
      const made = t.dataSource.getRepository(User).create({ email: 'new@example.com' });
      expect(draws).toHaveBeenCalledTimes(1);
      expect(made.id).toBe(draws.mock.results[0].value);
    } finally {
      draws.mockRestore();
    }
  });

  it('outside run() there is no transaction and `manager` is the data source’s', async () => {
    expect(uow.inTransaction).toBe(false);
    expect(uow.manager).toBe(t.dataSource.manager);
  });

  it('inside run(), `manager` is the transaction’s, also after awaits and in helpers that were not passed it', async () => {
    const seen = await uow.run(async (m) => {
      const before = uow.manager;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const helper = async () => uow.manager;
      return { same: before === m && uow.manager === m && (await helper()) === m, inTx: uow.inTransaction, queryRunner: !!m.queryRunner };
    });
    expect(seen).toEqual({ same: true, inTx: true, queryRunner: true });
    expect(uow.inTransaction).toBe(false);
  });

  it('a nested run() joins the open transaction: a failure after it rolls back the inner write too', async () => {
    const u = await givenUser(t);
    await expect(
      uow.run(async (outer) => {
        await uow.run(async (inner) => {
          expect(inner).toBe(outer);
          await inner.getRepository(User).update({ id: u.id }, { displayName: 'inner write' });
        });
        throw new Error('fails after the nested run');
      }),
    ).rejects.toThrow('fails after the nested run');
    expect(await displayNameOf(u.id)).toBeNull();
  });

  it('writes the pending audit event inside the transaction, and not at all when the work fails', async () => {
    const u = await givenUser(t);
    const audit = t.app.get(AuditService);
    const context = t.app.get(AuditContext);
    const before = (await auditEvents(t, u.id, 'USER_UPDATE')).length;

    await context.run(audit.begin('USER_UPDATE', u.id), () =>
      uow.run(async (m) => {
        await m.getRepository(User).update({ id: u.id }, { displayName: 'committed' });
        context.add({ fields: ['displayName'] });
      }),
    );
    const written = await auditEvents(t, u.id, 'USER_UPDATE');
    expect(written).toHaveLength(before + 1);
    expect(written[written.length - 1].data).toEqual({ fields: ['displayName'] });

    await expect(
      context.run(audit.begin('USER_UPDATE', u.id), () =>
        uow.run(async (m) => {
          await m.getRepository(User).update({ id: u.id }, { displayName: 'rolled back' });
          throw new Error('refused');
        }),
      ),
    ).rejects.toThrow('refused');
    expect(await displayNameOf(u.id)).toBe('committed');
    expect(await auditEvents(t, u.id, 'USER_UPDATE')).toHaveLength(before + 1);
  });

  // Each transaction is two more round trips (BEGIN, COMMIT) and, on SQLite, a turn in the
  // one connection's queue: a write route opens exactly the one it needs.
  it('an audited write opens one transaction, its event inside it; none is opened afterwards to flush it', async () => {
    const u = await givenUser(t);
    const opened = jest.spyOn(t.dataSource, 'transaction');
    try {
      await t.http().patch('/api/auth/me').set(bearer(u.token)).send({ displayName: 'Once' }).expect(200);
      expect(opened).toHaveBeenCalledTimes(1);
    } finally {
      opened.mockRestore();
    }
    expect(await displayNameOf(u.id)).toBe('Once');
    expect((await auditEvents(t, u.id, 'USER_UPDATE')).map((e) => e.data)).toEqual([{ fields: ['displayName'] }]);
  });

  it('an audited route whose handler opened no transaction has its event written in one of its own', async () => {
    const u = await givenUser(t);
    const opened = jest.spyOn(t.dataSource, 'transaction');
    try {
      await t.http().post('/api/auth/logout').set(bearer(u.token)).expect(200);
      expect(opened).toHaveBeenCalledTimes(1);
    } finally {
      opened.mockRestore();
    }
    expect(await auditEvents(t, u.id, 'USER_LOGOUT')).toHaveLength(1);
  });

  it('concurrent runs each keep their own transaction (SQLite: one after the other; PostgreSQL: side by side)', async () => {
    const users = await Promise.all([givenUser(t), givenUser(t), givenUser(t)]);
    const results = await Promise.allSettled(
      users.map((u, i) =>
        uow.run(async (m) => {
          await m.getRepository(User).update({ id: u.id }, { displayName: `writer ${i}` });
          await new Promise((resolve) => setTimeout(resolve, 10));
          // every await later, the manager is still this run's
          expect(uow.manager).toBe(m);
          if (i === 1) throw new Error('the second one fails');
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await Promise.all(users.map((u) => displayNameOf(u.id)))).toEqual(['writer 0', null, 'writer 2']);
  });
});
