import { NotFoundException } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AdminRoleService } from '../src/admin/admin-role.service';
import { User } from '../src/auth/entities/user.entity';
import { CancellationOutbox } from '../src/billing/entities/cancellation-outbox.entity';
import { Messages } from '../src/common/messages';
import { SERVICES } from '../src/common/services';
import { Entitlement } from '../src/connect/entities/entitlement.entity';
import { auditEvents, givenAdmin, givenEntitlement } from './support/admin';
import { bearer, givenUser, type GivenUser, uniqueEmail } from './support/given';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

const INTERNAL_SECRET = 'sibling-secret-0123456789abcdef0123456789';
const NO_SUCH_USER = '00000000-0000-4000-8000-000000000000';
const run = promisify(execFile);
const APP_OPTIONS = { env: { INTERNAL_SECRET, POLAR_ACCESS_TOKEN: 'polar-test-token' } };

describe('AdminModule: administrators, users, bans and the internal lookup', () => {
  let t: TestApp;
  let admin: GivenUser;

  beforeAll(async () => {
    t = await createTestApp(APP_OPTIONS);
    admin = await givenAdmin(t);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const as = (u: GivenUser) => ({
    get: (path: string) => t.http().get(path).set(bearer(u.token)),
    put: (path: string) => t.http().put(path).set(bearer(u.token)),
    patch: (path: string, body: object) => t.http().patch(path).set(bearer(u.token)).send(body),
    post: (path: string, body: object) => t.http().post(path).set(bearer(u.token)).send(body),
    delete: (path: string) => t.http().delete(path).set(bearer(u.token)),
  });
  const row = (id: string) => t.dataSource.getRepository(User).findOneByOrFail({ id });

  describe('npm run admin:grant -- <email> (AdminRoleService.grantByEmail)', () => {
    it('grants the admin role to an existing account, audited with no actor, once', async () => {
      const u = await givenUser(t);
      const roles = t.app.get(AdminRoleService);
      const first = await roles.grantByEmail(`  ${u.email.toUpperCase()} `);
      expect(first.changed).toBe(true);
      expect(first.user.id).toBe(u.id);
      expect((await row(u.id)).role).toBe('admin');
      expect((await roles.grantByEmail(u.email)).changed).toBe(false);
      const events = await auditEvents(t, u.id, 'USER_UPDATE');
      expect(events).toHaveLength(1);
      expect(events[0].actorId).toBeNull();
      expect(events[0].data).toEqual({ field: 'role', value: 'admin', via: 'cli' });
      await as(u).get('/api/admin/users/stats').expect(200);
    });

    it('refuses an unknown email with "User not found"', async () => {
      await expect(t.app.get(AdminRoleService).grantByEmail(uniqueEmail('nobody'))).rejects.toThrow(new NotFoundException(Messages.userNotFound));
    });

    const cli = (email: string) =>
      run(process.execPath, ['-r', 'ts-node/register/transpile-only', join('src', 'admin', 'admin-grant.cli.ts'), email], {
        cwd: join(__dirname, '..'),
        env: { ...process.env, LOG_LEVEL: 'info' },
        timeout: 60_000,
      });

    it('runs as a command on the same configuration: one line, exit 0, and non-zero for an unknown email', async () => {
      const u = await givenUser(t);
      const sqlite = t.dataSource.options.type === 'better-sqlite3';
      if (sqlite) {
        // The running service holds its SQLite file (SQLITE_LOCKING=exclusive, the default):
        // the command says so in one line and changes nothing; stopped, the file is free.
        await expect(cli(u.email)).rejects.toMatchObject({
          code: 1,
          stdout: '',
          stderr: expect.stringMatching(/^admin:grant failed: The SQLite database \S+ is in use by another process .*SQLITE_LOCKING=normal\n$/),
        });
        expect((await row(u.id)).role).toBe('user');
        await t.close();
      }
      const ok = await cli(u.email);
      expect(ok.stdout).toBe(`Granted the admin role to ${u.email} (${u.id})\n`);
      expect(ok.stderr).toBe('');
      const missing = uniqueEmail('ghost');
      await expect(cli(missing)).rejects.toMatchObject({ code: 1, stdout: '', stderr: `No account with the email ${missing}\n` });
      if (sqlite) t = await createTestApp(APP_OPTIONS);
      expect((await row(u.id)).role).toBe('admin');
    }, 90_000);

    it('on SQLite with SQLITE_LOCKING=normal, runs while the service runs', async () => {
      if (t.dataSource.options.type !== 'better-sqlite3') return; // PostgreSQL: the case above
      await t.close();
      t = await createTestApp({ env: { ...APP_OPTIONS.env, SQLITE_LOCKING: 'normal' } });
      try {
        const u = await givenUser(t);
        const ok = await cli(u.email); // inherits SQLITE_LOCKING=normal, as a shell with it set would
        expect(ok.stdout).toBe(`Granted the admin role to ${u.email} (${u.id})\n`);
        expect((await row(u.id)).role).toBe('admin');
        await as(u).get('/api/admin/users/stats').expect(200);
      } finally {
        await t.close();
        t = await createTestApp(APP_OPTIONS);
      }
    }, 90_000);
  });

  describe('access: administrators only', () => {
    const routes: [string, string, object?][] = [
      ['get', '/api/admin/users'],
      ['get', '/api/admin/users/stats'],
      ['patch', `/api/admin/users/${NO_SUCH_USER}`, { service: 'DROP', tier: 'enterprise' }],
      ['put', `/api/admin/users/${NO_SUCH_USER}/role`],
      ['delete', `/api/admin/users/${NO_SUCH_USER}/role`],
      ['post', `/api/admin/users/${NO_SUCH_USER}/ban`, { reason: 'x' }],
      ['delete', `/api/admin/users/${NO_SUCH_USER}/ban`],
    ];

    it('answers 403 "Administrator role required" to a non-admin on every admin route', async () => {
      const u = await givenUser(t);
      for (const [method, path, body] of routes) {
        const res = await t.http()[method as 'get'](path).set(bearer(u.token)).send(body ?? {});
        expect([method, path, res.status, res.body]).toEqual([method, path, 403, { error: 'Administrator role required' }]);
      }
    });

    it('answers 401 without a token, and the internal secret is no substitute for one', async () => {
      for (const [method, path, body] of routes) {
        const res = await t.http()[method as 'get'](path).set('X-Internal-Secret', INTERNAL_SECRET).send(body ?? {});
        expect([path, res.status, res.body]).toEqual([path, 401, { error: Messages.unauthorized }]);
      }
    });

    it('answers 404 "User not found" for an unknown or malformed user id', async () => {
      for (const id of [NO_SUCH_USER, 'not-a-uuid', '1', "1' OR '1'='1"]) {
        const path = `/api/admin/users/${encodeURIComponent(id)}`;
        expect((await as(admin).patch(path, { service: 'DROP' }).expect(404)).body).toEqual({ error: 'User not found' });
        expect((await as(admin).put(`${path}/role`).expect(404)).body).toEqual({ error: Messages.userNotFound });
        expect((await as(admin).delete(`${path}/role`).expect(404)).body).toEqual({ error: Messages.userNotFound });
        expect((await as(admin).post(`${path}/ban`, { reason: 'x' }).expect(404)).body).toEqual({ error: Messages.userNotFound });
        expect((await as(admin).delete(`${path}/ban`).expect(404)).body).toEqual({ error: Messages.userNotFound });
      }
    });
  });

  describe('PUT/DELETE /api/admin/users/:userId/role', () => {
    it('grants and revokes the admin role, audited on the target with the administrator as actor', async () => {
      const u = await givenUser(t);
      await as(u).get('/api/admin/users').expect(403);
      const granted = await as(admin).put(`/api/admin/users/${u.id}/role`).expect(200);
      expect(granted.body).toEqual({ success: true, user: { id: u.id, email: u.email, role: 'admin' } });
      await as(u).get('/api/admin/users').expect(200);
      // granting again changes nothing and writes nothing
      await as(admin).put(`/api/admin/users/${u.id}/role`).expect(200);
      const revoked = await as(admin).delete(`/api/admin/users/${u.id}/role`).expect(200);
      expect(revoked.body).toEqual({ success: true, user: { id: u.id, email: u.email, role: 'user' } });
      const res = await as(u).get('/api/admin/users').expect(403);
      expect(res.body).toEqual({ error: Messages.adminRequired });
      const events = await auditEvents(t, u.id, 'USER_UPDATE');
      expect(events.map((e) => [e.actorId, e.data])).toEqual([
        [admin.id, { field: 'role', value: 'admin', by: admin.id }],
        [admin.id, { field: 'role', value: 'user', by: admin.id }],
      ]);
    });

    it('lets an administrator made over HTTP grant the role in turn', async () => {
      const second = await givenUser(t);
      const third = await givenUser(t);
      await as(admin).put(`/api/admin/users/${second.id}/role`).expect(200);
      await as(second).put(`/api/admin/users/${third.id}/role`).expect(200);
      expect((await row(third.id)).role).toBe('admin');
    });
  });

  describe('GET /api/admin/users', () => {
    it('pages through users, newest first, with pagination and each user’s serviceAccess', async () => {
      const tag = `pg${Date.now().toString(36)}`;
      const users: GivenUser[] = [];
      for (let i = 0; i < 3; i++) {
        t.clock.advance(1000);
        users.push(await givenUser(t, { email: uniqueEmail(`${tag}-${i}`) }));
      }
      await givenEntitlement(t, admin, users[2], { service: 'DROP', tier: 'premium', isPremium: true });
      const first = await as(admin).get(`/api/admin/users?search=${tag}&limit=2&page=1`).expect(200);
      expect(first.body.pagination).toEqual({ page: 1, limit: 2, totalCount: 3, totalPages: 2, hasMore: true });
      expect(first.body.users.map((u: { id: string }) => u.id)).toEqual([users[2].id, users[1].id]);
      const newest = first.body.users[0];
      expect(Object.keys(newest).sort()).toEqual(['avatar', 'banned', 'createdAt', 'disabled', 'displayName', 'email', 'id', 'serviceAccess', 'updatedAt']);
      expect(newest).toMatchObject({ email: users[2].email, banned: false, disabled: false });
      expect(newest.serviceAccess).toEqual([expect.objectContaining({ service: 'DROP', tier: 'premium', isPremium: true, userId: users[2].id })]);
      const second = await as(admin).get(`/api/admin/users?search=${tag}&limit=2&page=2`).expect(200);
      expect(second.body.users.map((u: { id: string }) => u.id)).toEqual([users[0].id]);
      expect(second.body.pagination).toEqual({ page: 2, limit: 2, totalCount: 3, totalPages: 2, hasMore: false });
      const beyond = await as(admin).get(`/api/admin/users?search=${tag}&limit=2&page=3`).expect(200);
      expect(beyond.body).toEqual({ users: [], pagination: { page: 3, limit: 2, totalCount: 3, totalPages: 2, hasMore: false } });
    });

    it('searches the email case-insensitively, with % and _ matched literally', async () => {
      const tag = `lk${Date.now().toString(36)}`;
      const underscore = await givenUser(t, { email: `${tag}_a@example.com` });
      const letter = await givenUser(t, { email: `${tag}xa@example.com` });
      const percent = await givenUser(t, { email: `${tag}%a@example.com` });
      const ids = async (search: string) =>
        (await as(admin).get(`/api/admin/users?search=${encodeURIComponent(search)}`).expect(200)).body.users.map((u: { id: string }) => u.id).sort();
      expect(await ids(`${tag}_a`)).toEqual([underscore.id]);
      expect(await ids(`${tag}%a`)).toEqual([percent.id]);
      expect(await ids(`${tag.toUpperCase()}XA`)).toEqual([letter.id]);
      expect(await ids(tag)).toEqual([underscore.id, letter.id, percent.id].sort());
      expect(await ids(`${tag}\\`)).toEqual([]);
    });

    it('never shows password hashes or 2FA secrets', async () => {
      const u = await givenUser(t, { twoFactor: true });
      const res = await as(admin).get(`/api/admin/users?search=${encodeURIComponent(u.email)}`).expect(200);
      const stored = await row(u.id);
      expect(res.body.users).toHaveLength(1);
      expect(JSON.stringify(res.body)).not.toContain(stored.passwordHash);
      expect(JSON.stringify(res.body)).not.toContain(stored.twoFactorSecret as string);
    });

    it('answers 400 for a limit over 100 or a bad page', async () => {
      expect((await as(admin).get('/api/admin/users?limit=101').expect(400)).body.error).toBe('limit must be at most 100');
      await as(admin).get('/api/admin/users?limit=0').expect(400);
      await as(admin).get('/api/admin/users?page=0').expect(400);
      await as(admin).get('/api/admin/users?page=abc').expect(400);
      await as(admin).get('/api/admin/users?role=admin').expect(400);
      await as(admin).get('/api/admin/users?search=a&search=b').expect(400);
      expect((await as(admin).get('/api/admin/users?search=a%00b').expect(400)).body.error).toBe(Messages.nulCharacter);
      const max = await as(admin).get('/api/admin/users?limit=100').expect(200);
      expect(max.body.pagination.limit).toBe(100);
    });
  });

  describe('GET /api/admin/users/stats', () => {
    it('counts users, premium and free, bans, disabled, 2FA and entitlements per service', async () => {
      const before = (await as(admin).get('/api/admin/users/stats').expect(200)).body;
      expect(Object.keys(before.byService).sort()).toEqual([...SERVICES].sort());

      const premium = await givenUser(t);
      await givenEntitlement(t, admin, premium, { service: 'DROP', tier: 'premium', isPremium: true });
      await givenEntitlement(t, admin, premium, { service: 'VAULT', tier: 'premium', isPremium: true });
      const free = await givenUser(t, { twoFactor: true });
      await as(free).post('/api/services', { service: 'DROP' }).expect(200);
      const banned = await givenUser(t);
      await as(admin).post(`/api/admin/users/${banned.id}/ban`, { reason: 'spam' }).expect(200);
      const lapsed = await givenUser(t);
      await as(admin)
        .post(`/api/admin/users/${lapsed.id}/ban`, { reason: 'cool-off', until: new Date(t.clock.nowMs() + 60_000).toISOString() })
        .expect(200);
      const disabled = await givenUser(t);
      await t.dataSource.getRepository(User).update({ id: disabled.id }, { disabled: true }); // storage setup: as disable-account leaves it
      t.clock.advance(120_000); // the timed ban has lapsed

      const after = (await as(admin).get('/api/admin/users/stats').expect(200)).body;
      expect(after.totalUsers - before.totalUsers).toBe(5);
      expect(after.premiumUsers - before.premiumUsers).toBe(1);
      expect(after.freeUsers - before.freeUsers).toBe(4);
      expect(after.freeUsers).toBe(after.totalUsers - after.premiumUsers);
      expect(after.banned - before.banned).toBe(1);
      expect(after.disabled - before.disabled).toBe(1);
      expect(after.twoFactorEnabled - before.twoFactorEnabled).toBe(1);
      expect(after.byService.DROP.total - before.byService.DROP.total).toBe(2);
      expect(after.byService.DROP.premium - before.byService.DROP.premium).toBe(1);
      expect(after.byService.VAULT.total - before.byService.VAULT.total).toBe(1);
      expect(after.byService.VAULT.premium - before.byService.VAULT.premium).toBe(1);
      expect(after.byService.MAILS).toEqual(before.byService.MAILS);
    });
  });

  describe('PATCH /api/admin/users/:userId (entitlements)', () => {
    it('creates an entitlement and audits SERVICE_ACCESS_GRANT on the target with the administrator as actor', async () => {
      const u = await givenUser(t);
      const res = await as(admin)
        .patch(`/api/admin/users/${u.id}`, {
          service: 'VAULT',
          tier: 'premium',
          isPremium: true,
          accessFlags: { beta: true },
          metadata: { note: 'partner' },
          customStorageLimit: 5000,
          customApiKeyLimit: 12,
        })
        .expect(200);
      expect(Object.keys(res.body)).toEqual(['entitlement']);
      expect(res.body.entitlement).toMatchObject({
        userId: u.id,
        service: 'VAULT',
        tier: 'premium',
        isPremium: true,
        connected: true,
        accessFlags: { beta: true },
        metadata: { note: 'partner' },
        customStorageLimit: 5000,
        customApiKeyLimit: 12,
      });
      const events = await auditEvents(t, u.id, 'SERVICE_ACCESS_GRANT');
      expect(events).toHaveLength(1);
      expect(events[0].actorId).toBe(admin.id);
      expect(events[0].data).toMatchObject({ service: 'VAULT', tier: 'premium', created: true, by: admin.id });
      // the user sees it as its own, and in its own audit log
      const own = await as(u).get('/api/services?service=VAULT').expect(200);
      expect(own.body.entitlements).toEqual([res.body.entitlement]);
      const log = await as(u).get('/api/audit?action=SERVICE_ACCESS_GRANT').expect(200);
      expect(log.body.total).toBe(1);
      expect(await auditEvents(t, admin.id, 'SERVICE_ACCESS_GRANT')).toEqual([]);
    });

    it('audits SERVICE_TIER_CHANGE when the tier of an existing entitlement changes, SERVICE_ACCESS_GRANT otherwise', async () => {
      const u = await givenUser(t);
      await as(u).post('/api/services', { service: 'DROP' }).expect(200);
      const up = await as(admin).patch(`/api/admin/users/${u.id}`, { service: 'DROP', tier: 'enterprise', isPremium: true }).expect(200);
      expect(up.body.entitlement).toMatchObject({ tier: 'enterprise', isPremium: true });
      const changes = await auditEvents(t, u.id, 'SERVICE_TIER_CHANGE');
      expect(changes).toHaveLength(1);
      expect(changes[0].actorId).toBe(admin.id);
      expect(changes[0].data).toMatchObject({ service: 'DROP', tier: 'enterprise', previousTier: 'free', by: admin.id });
      // same tier, other fields: a grant, not a tier change
      await as(admin).patch(`/api/admin/users/${u.id}`, { service: 'DROP', tier: 'enterprise', customApiKeyLimit: 3 }).expect(200);
      expect(await auditEvents(t, u.id, 'SERVICE_TIER_CHANGE')).toHaveLength(1);
      const grants = await auditEvents(t, u.id, 'SERVICE_ACCESS_GRANT');
      expect(grants.map((e) => [e.actorId, e.data?.created])).toEqual([
        [u.id, undefined], // the user's own free claim
        [admin.id, false],
      ]);
    });

    it('leaves fields that are not sent as they are, and null clears the optional ones', async () => {
      const u = await givenUser(t);
      await as(admin).patch(`/api/admin/users/${u.id}`, { service: 'DB', tier: 'pro', metadata: { a: 1 }, customStorageLimit: 10 }).expect(200);
      const res = await as(admin).patch(`/api/admin/users/${u.id}`, { service: 'DB', metadata: null, customStorageLimit: null }).expect(200);
      expect(res.body.entitlement).toMatchObject({ tier: 'pro', metadata: {}, customStorageLimit: null });
      const stored = await t.dataSource.getRepository(Entitlement).findOneByOrFail({ userId: u.id, service: 'DB' });
      expect(stored.metadata).toBeNull();
    });

    it.each([
      ['an unknown service', { service: 'NOPE' }, Messages.invalidService],
      ['a missing service', { tier: 'pro' }, Messages.serviceRequired],
      ['a null tier', { service: 'DROP', tier: null }, 'tier must be a string'],
      ['a malformed tier', { service: 'DROP', tier: 'Pro Plan!' }, 'tier must be 1 to 32 lower-case letters, digits, "-" or "_"'],
      ['a non-boolean isPremium', { service: 'DROP', isPremium: 'yes' }, 'isPremium must be a boolean'],
      ['a negative limit', { service: 'DROP', customStorageLimit: -1 }, 'customStorageLimit must not be negative'],
      ['a fractional limit', { service: 'DROP', customApiKeyLimit: 1.5 }, 'customApiKeyLimit must be a whole number'],
      ['an array of flags', { service: 'DROP', accessFlags: ['x'] }, 'accessFlags must be an object'],
      ['a payment id', { service: 'DROP', polarSubscriptionId: 'sub_1' }, 'property polarSubscriptionId should not exist'],
      ['the connected flag', { service: 'DROP', connected: false }, 'property connected should not exist'],
      // PostgreSQL's jsonb cannot hold U+0000: a 400 here, never a database error
      ['a NUL character in metadata', { service: 'DROP', metadata: { note: 'a\u0000b' } }, Messages.nulCharacter],
      ['a NUL character in a flag name', { service: 'DROP', accessFlags: { 'x\u0000': true } }, Messages.nulCharacter],
    ])('answers 400 for %s and changes nothing', async (_name, body, message) => {
      const u = await givenUser(t);
      const res = await as(admin).patch(`/api/admin/users/${u.id}`, body).expect(400);
      expect(res.body.error).toBe(message);
      expect(await t.dataSource.getRepository(Entitlement).findBy({ userId: u.id })).toEqual([]);
    });
  });

  describe('POST/DELETE /api/admin/users/:userId/ban', () => {
    it('bans: records who, why and when, restricts the sessions at once, queues Polar cancellations, audits USER_BAN', async () => {
      const u = await givenUser(t);
      await givenEntitlement(t, admin, u, { service: 'DROP', tier: 'premium', isPremium: true });
      // storage setup: the subscription id a billing webhook would have stored
      await t.dataSource.getRepository(Entitlement).update({ userId: u.id, service: 'DROP' }, { polarSubscriptionId: `sub_${u.id}` });
      await as(u).get('/api/services').expect(200);

      const res = await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'Terms of service violation' }).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountBannedOk });
      const stored = await row(u.id);
      expect(stored).toMatchObject({ banned: true, bannedBy: admin.id, banReason: 'Terms of service violation', bannedUntil: null });
      expect(stored.bannedAt?.getTime()).toBeCloseTo(t.clock.nowMs(), -3);

      // the same token, on its very next request
      expect((await as(u).get('/api/services').expect(403)).body).toEqual({ error: Messages.accountBanned });
      const me = await as(u).get('/api/auth/me').expect(200);
      expect(me.body.user.banned).toBe(true);

      const outbox = await t.dataSource.getRepository(CancellationOutbox).findBy({ subscriptionId: `sub_${u.id}` });
      expect(outbox).toHaveLength(1);
      const events = await auditEvents(t, u.id, 'USER_BAN');
      expect(events).toHaveLength(1);
      expect(events[0].actorId).toBe(admin.id);
      expect(events[0].data).toMatchObject({ reason: 'Terms of service violation', until: null, by: admin.id, cancellationsQueued: 1 });
    });

    it('lifts a ban: clears the ban fields, the sessions work again, audits USER_UPDATE {action:"account_unbanned"}', async () => {
      const u = await givenUser(t);
      await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'spam' }).expect(200);
      const res = await as(admin).delete(`/api/admin/users/${u.id}/ban`).expect(200);
      expect(res.body).toEqual({ success: true, message: Messages.accountUnbannedOk });
      expect(await row(u.id)).toMatchObject({ banned: false, bannedBy: null, banReason: null, bannedAt: null, bannedUntil: null });
      await as(u).get('/api/services').expect(200);
      const events = await auditEvents(t, u.id, 'USER_UPDATE');
      expect(events.map((e) => [e.actorId, e.data])).toEqual([[admin.id, { action: 'account_unbanned', by: admin.id }]]);
      // nothing left to lift
      expect((await as(admin).delete(`/api/admin/users/${u.id}/ban`).expect(400)).body).toEqual({ error: Messages.accountNotBanned });
    });

    it('bans until a time: restricted until then, free afterwards without anyone acting', async () => {
      const u = await givenUser(t);
      const until = new Date(t.clock.nowMs() + 3_600_000);
      await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'cool-off', until: until.toISOString() }).expect(200);
      expect((await row(u.id)).bannedUntil?.toISOString()).toBe(until.toISOString());
      await as(u).get('/api/services').expect(403);
      t.clock.advance(3_600_001);
      await as(u).get('/api/services').expect(200);
    });

    it('answers 400 for a missing reason, a malformed or past until, and an administrator banning itself', async () => {
      const u = await givenUser(t);
      expect((await as(admin).post(`/api/admin/users/${u.id}/ban`, {}).expect(400)).body.error).toBe('reason must be a string');
      expect((await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: '' }).expect(400)).body.error).toBe('reason is required');
      expect((await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'a\u0000b' }).expect(400)).body.error).toBe(
        Messages.nulCharacter,
      );
      await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'x', until: 'tomorrow' }).expect(400);
      const past = new Date(t.clock.nowMs() - 1000).toISOString();
      expect((await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'x', until: past }).expect(400)).body).toEqual({
        error: Messages.banUntilInPast,
      });
      expect((await as(admin).post(`/api/admin/users/${admin.id}/ban`, { reason: 'x' }).expect(400)).body).toEqual({
        error: Messages.cannotBanSelf,
      });
      expect((await row(u.id)).banned).toBe(false);
      expect(await auditEvents(t, u.id, 'USER_BAN')).toEqual([]);
    });

    it('a banned administrator loses administration at once', async () => {
      const other = await givenAdmin(t);
      await as(admin).post(`/api/admin/users/${other.id}/ban`, { reason: 'compromised' }).expect(200);
      expect((await as(other).get('/api/admin/users').expect(403)).body).toEqual({ error: Messages.accountBanned });
    });
  });

  describe('GET /api/auth/user/:userId (internal lookup, X-Internal-Secret)', () => {
    const lookup = (id: string) => t.http().get(`/api/auth/user/${id}`);

    it('answers the user with serviceAccess, and never the password hash, 2FA secret or payment ids', async () => {
      const u = await givenUser(t, { twoFactor: true, displayName: 'Sibling Lookup' });
      await givenEntitlement(t, admin, u, { service: 'MAILS', tier: 'premium', isPremium: true });
      // storage setup: payment ids as billing webhooks store them
      await t.dataSource.getRepository(User).update({ id: u.id }, { polarCustomerId: `cus_${u.id}` });
      await t.dataSource.getRepository(Entitlement).update({ userId: u.id }, { polarSubscriptionId: `sub_${u.id}`, polarSubscriptionStatus: 'active' });
      const stored = await row(u.id);

      const res = await lookup(u.id).set('X-Internal-Secret', INTERNAL_SECRET).expect(200);
      expect(Object.keys(res.body)).toEqual(['user']);
      expect(Object.keys(res.body.user).sort()).toEqual(
        ['avatar', 'banned', 'createdAt', 'disabled', 'displayName', 'email', 'id', 'serviceAccess', 'twoFactorEnabled', 'updatedAt'].sort(),
      );
      expect(res.body.user).toMatchObject({ id: u.id, email: u.email, displayName: 'Sibling Lookup', twoFactorEnabled: true, banned: false, disabled: false });
      expect(res.body.user.serviceAccess).toEqual([expect.objectContaining({ service: 'MAILS', tier: 'premium', isPremium: true })]);
      const text = res.text;
      for (const secret of [stored.passwordHash, stored.twoFactorSecret as string, `cus_${u.id}`, `sub_${u.id}`]) {
        expect(secret).toBeTruthy();
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/password|secret|polar/i);
    });

    it('answers 401 {"error":"Unauthorized"} without the secret, with a wrong one, or with only a bearer token', async () => {
      const u = await givenUser(t);
      for (const req of [
        lookup(u.id),
        lookup(u.id).set('X-Internal-Secret', 'wrong'),
        lookup(u.id).set('X-Internal-Secret', `${INTERNAL_SECRET}x`),
        lookup(u.id).set('X-Internal-Secret', ''),
        lookup(u.id).set(bearer(admin.token)),
        lookup(u.id).set(bearer(u.token)),
      ]) {
        const res = await req.expect(401);
        expect(res.body).toEqual({ error: 'Unauthorized' });
      }
    });

    it('answers 404 "User not found" for an unknown or malformed id', async () => {
      for (const id of [NO_SUCH_USER, 'not-a-uuid']) {
        const res = await lookup(id).set('X-Internal-Secret', INTERNAL_SECRET).expect(404);
        expect(res.body).toEqual({ error: 'User not found' });
      }
    });

    it('reports a ban as banned:true', async () => {
      const u = await givenUser(t);
      await as(admin).post(`/api/admin/users/${u.id}/ban`, { reason: 'spam' }).expect(200);
      const res = await lookup(u.id).set('X-Internal-Secret', INTERNAL_SECRET).expect(200);
      expect(res.body.user.banned).toBe(true);
    });
  });

  describe('access between two users', () => {
    const lookup = (id: string) => t.http().get(`/api/auth/user/${id}`);

    it("a user can never read or change another's entitlements, sessions or audit log through these routes", async () => {
      const alice = await givenUser(t);
      const bob = await givenUser(t);
      await givenEntitlement(t, admin, alice, { service: 'DROP', tier: 'premium', isPremium: true });
      await as(bob).patch(`/api/admin/users/${alice.id}`, { service: 'DROP', tier: 'free', isPremium: false }).expect(403);
      await as(bob).post(`/api/admin/users/${alice.id}/ban`, { reason: 'mine' }).expect(403);
      await as(bob).put(`/api/admin/users/${bob.id}/role`).expect(403);
      await as(bob).get('/api/admin/users').expect(403);
      await lookup(alice.id).set(bearer(bob.token)).expect(401);
      expect((await row(alice.id)).banned).toBe(false);
      expect((await row(bob.id)).role).toBe('user');
      const [entitlement] = await t.dataSource.getRepository(Entitlement).findBy({ userId: alice.id });
      expect(entitlement).toMatchObject({ tier: 'premium', isPremium: true });
      const bobsLog = await as(bob).get('/api/audit').expect(200);
      expect(bobsLog.body.logs.some((l: { action: string }) => l.action === 'SERVICE_ACCESS_GRANT')).toBe(false);
      const bobsSessions = await as(bob).get('/api/auth/sessions').expect(200);
      expect(bobsSessions.body.sessions).toHaveLength(1);
    });
  });
});

describe('GET /api/auth/user/:userId with INTERNAL_SECRET unset', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { INTERNAL_SECRET: undefined } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  it('lets nobody in, whatever header is sent', async () => {
    const u = await givenUser(t);
    for (const value of [undefined, '', 'undefined', 'null', INTERNAL_SECRET]) {
      const req = t.http().get(`/api/auth/user/${u.id}`);
      if (value !== undefined) req.set('X-Internal-Secret', value);
      const res = await req.expect(401);
      expect(res.body).toEqual({ error: Messages.unauthorized });
    }
  });
});
