import { Reflector } from '@nestjs/core';
import { User } from '../src/auth/entities/user.entity';
import { ALLOW_RESTRICTED_KEY } from '../src/auth/decorators/allow-restricted.decorator';
import { IS_PUBLIC_KEY } from '../src/auth/decorators/public.decorator';
import { Messages } from '../src/common/messages';
import { bearer, givenUser } from './support/given';
import { concretePath, listRoutes, RouteInfo } from './support/routes';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

/**
 * Every route states its access rule, and this spec checks it (as Immich's
 * controllers/index.spec.ts): a public route must be in this allow-list, and a route
 * open to banned or disabled accounts must be one of the contract's.
 */
const PUBLIC = new Set([
  'GET /api',
  'GET /api/health',
  'GET /api/health/ready',
  'GET /api/metrics',
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/login/2fa',
  'POST /api/auth/verify',
  // sibling services (X-Internal-Secret instead of a bearer token)
  'GET /api/auth/user/:userId',
  'GET /api/avatar/:userId',
  // Polar (Standard Webhooks signature instead of a bearer token)
  'POST /api/webhooks/drop',
  'POST /api/webhooks/mails',
  'POST /api/webhooks/vault',
  'POST /api/webhooks/db',
]);

/** Spec, "Tokens and sessions": what a restricted (banned/disabled) account may still call. */
const RESTRICTED_ALLOWED = new Set([
  'GET /api/auth/me',
  'POST /api/auth/logout',
  'GET /api/auth/sessions',
  'DELETE /api/auth/sessions',
  'POST /api/auth/password',
  'DELETE /api/auth/disable-account',
  'DELETE /api/auth/ban-account',
  'POST /api/auth/delete-account',
]);

describe('Route access rules', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  let reflector: Reflector;
  const key = (r: RouteInfo) => `${r.method} ${r.path}`;

  beforeAll(async () => {
    t = await createTestApp();
    routes = listRoutes(t);
    reflector = t.app.get(Reflector);
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const flag = (r: RouteInfo, k: string) => reflector.getAllAndOverride<boolean>(k, [r.handler as never, r.controller as never]) === true;

  it('finds the routes', () => {
    expect(routes.length).toBeGreaterThan(15);
  });

  it('has no public route outside the allow-list', () => {
    const publicRoutes = routes.filter((r) => flag(r, IS_PUBLIC_KEY)).map(key);
    expect(publicRoutes.filter((r) => !PUBLIC.has(r))).toEqual([]);
  });

  it('opens to restricted accounts only the contract’s routes', () => {
    const open = routes.filter((r) => flag(r, ALLOW_RESTRICTED_KEY)).map(key);
    expect(open.filter((r) => !RESTRICTED_ALLOWED.has(r))).toEqual([]);
  });

  it('answers 401 {"error":"Unauthorized"} without a token on every non-public route', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => !flag(x, IS_PUBLIC_KEY))) {
      const res = await t.http()[r.method.toLowerCase() as 'get'](concretePath(r.path)).send({});
      if (res.status !== 401 || res.body.error !== Messages.unauthorized) failures.push(`${key(r)} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 "Account is banned" / "Account is disabled" on every other authenticated route', async () => {
    const banned = await givenUser(t);
    const disabled = await givenUser(t);
    const users = t.dataSource.getRepository(User);
    // Storage setup: the flags as the account routes would leave them.
    await users.update({ id: banned.id }, { banned: true, bannedBy: banned.id, disabled: true });
    await users.update({ id: disabled.id }, { disabled: true });
    const failures: string[] = [];
    for (const r of routes.filter((x) => !flag(x, IS_PUBLIC_KEY) && !flag(x, ALLOW_RESTRICTED_KEY))) {
      for (const [u, message] of [
        [banned, Messages.accountBanned],
        [disabled, Messages.accountDisabled],
      ] as const) {
        const res = await t.http()[r.method.toLowerCase() as 'get'](concretePath(r.path)).set(bearer(u.token)).send({});
        if (res.status !== 403 || res.body.error !== message) failures.push(`${key(r)} -> ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
    // and the restricted routes still answer them
    await t.http().get('/api/auth/me').set(bearer(banned.token)).expect(200);
    await t.http().get('/api/auth/sessions').set(bearer(disabled.token)).expect(200);
  });
});
