import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { SERVICES } from '../../src/common/services';
import { givenAdmin } from '../support/admin';
import { givenUser, type GivenUser } from '../support/given';
import { integrityProblems, prototypeProblems, prototypeSnapshot } from '../support/integrity';
import { bodySchema, exampleBody, openApiDoc, OpenApiDoc, queryParams, routeTraits, RouteTraits } from '../support/route-meta';
import { listRoutes } from '../support/routes';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * Property-based fuzzing of every route the app serves (fast-check): random and adversarial
 * bodies, query strings, path parameters and headers — wrong types, huge strings, deep
 * nesting, prototype-pollution keys, invalid UTF-8, SQL and path metacharacters, unicode
 * look-alike emails, bad Content-Types, signed and unsigned webhook deliveries.
 *
 * Property: the answer is a 2xx/3xx, or a 4xx JSON body whose `error` is a string (the
 * webhooks' 403 is `{received:false}`); never a 5xx, never a stack trace. After each route
 * the database passes the integrity check and Object.prototype is untouched.
 *
 * Deterministic: a fixed seed per route (derived from its method and path, so a new route
 * does not reshuffle the others) and a fixed number of runs, within a time budget.
 * To explore beyond CI: FUZZ_SEED=<n> FUZZ_RUNS=<n> FUZZ_BUDGET_MS=<ms> npx jest test/fuzz
 * SQLite only: the contract's database behaviour is covered on PostgreSQL by the other suites.
 */
const onPostgres = !!process.env.TEST_DATABASE_URL;
if (onPostgres) console.log('test/fuzz: runs on SQLite only; skipped on PostgreSQL (TEST_DATABASE_URL is set)');

const SEED = Number(process.env.FUZZ_SEED ?? 20241123);
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 50);
/** Per mode; an interrupted route reports how many cases it ran. */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 75_000);
const INTERNAL_SECRET = 'fuzz-internal-secret-0123456789abcdef0123';
const webhookSecret = (service: string) => `fuzz-${service.toLowerCase()}-webhook-secret-0123456789`;

const PRIVILEGED = ['role', 'banned', 'disabled', 'tier', 'isPremium', 'polarSubscriptionId', 'polarCustomerId', 'twoFactorEnabled', 'id', 'userId', 'passwordHash'];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const STACK = /\n\s+at\s|node_modules|\.(?:ts|js):\d+:\d+|QueryFailedError|SQLITE_|TypeError|ReferenceError|RangeError/;

type Mode = 'anonymous' | 'authenticated';

interface FuzzRequest {
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const seedOf = (key: string) => (SEED ^ createHash('sha256').update(key).digest().readUInt32BE(0)) >>> 0;
const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
const preview = (buf?: Buffer) => (buf === undefined ? '(none)' : JSON.stringify(buf.subarray(0, 300).toString('latin1')) + (buf.length > 300 ? `… (${buf.length} bytes)` : ''));

(onPostgres ? describe.skip : describe)('Fuzz: every route, random and adversarial input', () => {
  let t: TestApp;
  let doc: OpenApiDoc;
  let routes: RouteTraits[];
  let fuzzer: GivenUser;
  let victim: GivenUser;
  let protoBefore: string[];
  let total = 0;
  const started = Date.now();

  beforeAll(async () => {
    protoBefore = prototypeSnapshot();
    t = await createTestApp({
      env: {
        INTERNAL_SECRET,
        // X-Forwarded-For is believed from 127.0.0.1, so its parsing is fuzzed too
        TRUST_PROXY: 'loopback',
        ...Object.fromEntries(SERVICES.map((s) => [`${s}_POLAR_SECRET`, webhookSecret(s)])),
        // the fuzzer logs in again after logging itself out: never block it
        LOGIN_FAILURES_PER_EMAIL_IP: '1000000',
        LOGIN_FAILURES_PER_EMAIL: '1000000',
        LOGIN_FAILURES_PER_IP: '1000000',
      },
    });
    doc = await openApiDoc(t);
    routes = listRoutes(t).map((r) => routeTraits(t, r));
    // Authenticated runs use an administrator, so the admin routes are fuzzed past their guard.
    fuzzer = await givenAdmin(t);
    victim = await givenUser(t, { twoFactor: true });
    await t.http().post('/api/services').set('Authorization', `Bearer ${victim.token}`).send({ service: 'DROP' }).expect(200);
  });
  afterAll(async () => {
    console.log(`fuzz: ${total} cases over ${routes?.length ?? 0} routes, 2 modes, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await t?.close();
    await dropSchema();
  });

  // ---------- arbitraries ----------

  const printable = (max: number) => fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
  const specialStrings = () => [
    '', ' ', '\u0000', 'null', 'undefined', 'true', '0', '-1', '1e309', 'NaN', '[object Object]',
    "' OR '1'='1", "'; DROP TABLE users; --", '" OR ""="', '1) OR (1=1', "admin'--", '%27%20OR%201%3D1', '\\', '%', '_', '%_%',
    '../../../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd\u0000.png', '%2e%2e%2f', 'file:///etc/passwd',
    'http://169.254.169.254/latest/meta-data/', 'javascript:alert(1)', 'https://evil.example/a.png', `${victim.id}/avatar.png`,
    '<script>alert(1)</script>', '{{7*7}}', '${7*7}', ...PROTO_KEYS,
    // unicode look-alike emails and friends
    'аdmin@example.com', 'admin@exаmple.com', 'ＡＤＭＩＮ@example.com', `${victim.email}\u200b`, `${victim.email.toUpperCase()}`,
    ` ${victim.email} `, `${victim.email}\r\nBcc: x@example.com`, 'admin＠example.com', '"a b"@example.com', 'a@[127.0.0.1]',
    `${'a'.repeat(64)}@${'b'.repeat(190)}.com`, 'İ@example.com', 'ß@example.com', '\u202eevil', '😀', '\ud800', 'e\u0301',
    ...SERVICES, ...SERVICES.map((s) => s.toLowerCase()), 'DROP\u0000', 'enterprise', 'premium', 'free', 'monthly', 'yearly',
    '000000', '123456', 'aaaaa-bbbbb', '2030-01-01T00:00:00.000Z', '1970-01-01', '2000-01-01T00:00:00Z', 'not-a-date',
    victim.id, victim.email, fuzzer.email, '00000000-0000-0000-0000-000000000000', 'x'.repeat(257), 'x'.repeat(5000),
  ];
  const str = () =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...specialStrings()) },
      { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
      { weight: 1, arbitrary: fc.emailAddress() },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.integer().map(String) },
    );
  const keyArb = (fields: string[]) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...(fields.length ? fields : ['x'])) },
      { weight: 1, arbitrary: fc.constantFrom(...PRIVILEGED, ...PROTO_KEYS) },
      { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), minLength: 1, maxLength: 10 }) },
    );
  const valueArb = (fields: string[]) =>
    fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        str(),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constantFrom(2 ** 31, 2 ** 53 + 1, -0, 1e308, -1, 0.5),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(keyArb(fields), tie('value'), { maxKeys: 4 }),
      ),
    })).value;

  const deepJson = (depth: number, kind: number) =>
    kind === 0 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const RAW_BODIES = [
    '{"email": ', '{', '}', 'nul', '"', '[', '{"a":1,}', "{'a':1}", '{"a":NaN}', '{"a":01}', '\u0000', '\ufeff{}',
    '{"__proto__":{"polluted":"yes","role":"admin"}}', '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"a":{"__proto__":{"polluted":"yes"}}}', '{"email":"a@example.com","email":"b@example.com"}', '{"a":"\\ud800"}',
    '1', '-1', 'true', 'null', '"string"', '[]', '[{}]',
  ].map((s) => Buffer.from(s, 'utf8'));
  const INVALID_UTF8 = [
    Buffer.from([0x7b, 0x22, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"email":"\xff\xfe"}
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // overlong "/"
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // encoded lone surrogate
    Buffer.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]), // UTF-16 BOM
    Buffer.from([0x80, 0x81, 0x82]),
  ];
  const HUGE = Buffer.from(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(120 * 1024) }));

  const bodyArb = (r: RouteTraits): fc.Arbitrary<Buffer | undefined> => {
    const fields = Object.keys(bodySchema(doc, r)?.properties ?? {});
    const value = valueArb(fields);
    const example = exampleBody(doc, r);
    const nearValid = fields.length
      ? fc.tuple(fc.constantFrom(...fields), value).map(([k, v]) => json({ ...example, [k]: v }))
      : value.map(json);
    const subsets = fc.subarray(Object.keys(example)).map((keys) => json(Object.fromEntries(keys.map((k) => [k, example[k]]))));
    const arbs: fc.WeightedArbitrary<Buffer | undefined>[] = [
      { weight: 4, arbitrary: nearValid },
      { weight: 2, arbitrary: subsets },
      { weight: 3, arbitrary: fc.dictionary(keyArb(fields), value, { maxKeys: 6 }).map(json) },
      { weight: 2, arbitrary: value.map(json) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES, ...INVALID_UTF8) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.integer({ min: 0, max: 1 })).map(([d, k]) => Buffer.from(deepJson(d, k))) },
      { weight: 1, arbitrary: fc.constant(HUGE) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ];
    if (r.webhook) arbs.push({ weight: 6, arbitrary: polarEventArb(value).map(json) });
    return fc.oneof(...arbs);
  };

  /** Polar-like events (snake_case), with stray keys (prototype keys among them) mixed into data and metadata. */
  const polarEventArb = (value: fc.Arbitrary<unknown>) => {
    const strayKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), keyArb(['id', 'status', 'metadata', 'plan', 'userId']));
    const stray = fc.dictionary(strayKey, value, { maxKeys: 2 });
    const withStray = <T extends object>(arb: fc.Arbitrary<T>) => fc.tuple(arb, stray).map(([known, extra]) => ({ ...known, ...extra }));
    const metadata = withStray(
      fc.record({ userId: fc.oneof(fc.constant(victim.id), str()), plan: fc.oneof(fc.constantFrom('premium', 'enterprise'), str()), service: str() }, { requiredKeys: [] }),
    );
    const data = withStray(
      fc.record(
        {
          id: fc.oneof(str(), fc.constantFrom('sub_fuzz_1', 'sub_fuzz_2')),
          status: fc.oneof(fc.constantFrom('active', 'trialing', 'canceled', 'incomplete'), str()),
          customer_id: fc.oneof(str(), value),
          email: fc.oneof(fc.constant(victim.email), str()),
          current_period_end: fc.oneof(fc.constant('2030-01-01T00:00:00Z'), str(), value),
          metadata: fc.oneof(metadata, value),
        },
        { requiredKeys: [] },
      ),
    );
    return fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('subscription.created', 'subscription.updated', 'subscription.active', 'subscription.uncanceled', 'subscription.canceled', 'subscription.revoked', 'customer.created', 'customer.updated', 'checkout.created'),
          str(),
        ),
        data: fc.oneof({ weight: 4, arbitrary: data }, { weight: 1, arbitrary: value }),
      },
      { requiredKeys: [] },
    );
  };

  const contentTypeArb = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'text/plain',
        'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/xml',
        'application/vnd.api+json', 'application/merge-patch+json', 'a/b/c;;;', '*/*', 'application/json, text/html',
      ),
    },
    { weight: 1, arbitrary: fc.constant('') },
  );

  const paramArb = () => fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) }, // the victim's id
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: str().filter((s) => s.length > 0).map((s) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'))) },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '..', '%2e%2e', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%00', '00000000-0000-0000-0000-000000000000', 'a'.repeat(5000)) },
  );

  const queryArb = (r: RouteTraits) => {
    const names = queryParams(doc, r).map((p) => p.name);
    const pairs = fc.dictionary(keyArb(names), str(), { maxKeys: 4 }).map((d) => new URLSearchParams(d as Record<string, string>).toString());
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant('') },
      { weight: 4, arbitrary: pairs },
      // A cursor in the service's own shape (time|id), with either half crafted.
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), str()), fc.oneof(fc.uuid(), str()))
          .map(([time, id]) => `cursor=${Buffer.from(`${time}|${id}`).toString('base64url')}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '%', '%zz', 'a[b]=1', 'service[]=DROP&service[]=MAILS', 'service=DROP&service=DROP', 'limit=1e9', 'limit=-1', 'limit=0x10',
          'offset=NaN', `cursor=${'A'.repeat(500)}`, '&&&=&=', '__proto__[x]=1', 'constructor=x', 'search=%25', 'search=_', 'page=99999999999',
          'plan=premium&billingCycle=monthly&service=DROP', 'id=00000000-0000-0000-0000-000000000000', `id=${'x'.repeat(100)}`,
        ),
      },
    );
  };

  const headerValue = fc.oneof(printable(60), fc.constantFrom('', 'x'.repeat(2000), 'é\u00ff', 'null'));
  const authArb = (mode: Mode) =>
    mode === 'authenticated'
      ? fc.oneof({ weight: 9, arbitrary: fc.constant('VALID') }, { weight: 1, arbitrary: printable(80).map((s) => `Bearer ${s}`) })
      : fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              'Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer x.y.z', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
              `Bearer ${'a'.repeat(5000)}`, 'Bearer null', 'Bearer undefined', 'Token abc',
            ),
          },
          { weight: 1, arbitrary: printable(80).map((s) => `Bearer ${s}`) },
        );

  const requestArb = (r: RouteTraits, mode: Mode): fc.Arbitrary<FuzzRequest> =>
    fc
      .record({
        params: fc.array(paramArb(), { minLength: r.params.length, maxLength: r.params.length }),
        query: queryArb(r),
        body: r.method === 'GET' ? fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyArb(r) }) : bodyArb(r),
        contentType: contentTypeArb,
        auth: authArb(mode),
        internal: fc.constantFrom('right', 'wrong', 'none'),
        accept: fc.option(fc.constantFrom('application/json', '*/*', 'text/html', 'image/png', 'application/xml', ';;;'), { nil: undefined }),
        xff: fc.option(fc.oneof(headerValue, fc.constantFrom('1.2.3.4', '::1', '999.999.1.1', '1.2.3.4, 5.6.7.8', 'unknown')), { nil: undefined }),
        requestId: fc.option(headerValue, { nil: undefined }),
        origin: fc.option(fc.constantFrom('https://evil.example', 'null', 'https://app.example.com'), { nil: undefined }),
        webhook: fc.record({
          signed: fc.constantFrom('valid', 'valid', 'valid', 'bad', 'stale', 'none'),
          id: fc.oneof(fc.uuid(), fc.constantFrom('msg_fuzz_dup', '', 'x'.repeat(300))),
        }),
      })
      .map((c) => {
        let i = 0;
        const path = r.path.replace(/:(\w+)/g, () => {
          const p = c.params[i++];
          return p === null ? victim.id : p;
        });
        const headers: Record<string, string> = {};
        if (c.body !== undefined && c.contentType) headers['Content-Type'] = c.contentType;
        if (c.auth) headers.Authorization = c.auth === 'VALID' ? 'VALID' : c.auth;
        if (r.isInternal && c.internal !== 'none') headers['X-Internal-Secret'] = c.internal === 'right' ? INTERNAL_SECRET : `${INTERNAL_SECRET}-`;
        if (c.accept) headers.Accept = c.accept;
        if (c.xff !== undefined) headers['X-Forwarded-For'] = c.xff;
        if (c.requestId !== undefined) headers['X-Request-Id'] = c.requestId;
        if (c.origin) headers.Origin = c.origin;
        if (r.webhook && c.webhook.signed !== 'none') {
          const service = r.path.split('/').pop()!.toUpperCase();
          const nowS = Math.floor(t.clock.nowMs() / 1000) - (c.webhook.signed === 'stale' ? 3600 : 0);
          const body = c.body ?? Buffer.alloc(0);
          const mac = createHmac('sha256', Buffer.from(webhookSecret(service), 'utf8')).update(`${c.webhook.id}.${nowS}.`).update(body).digest('base64');
          headers['webhook-id'] = c.webhook.id;
          headers['webhook-timestamp'] = String(nowS);
          headers['webhook-signature'] = c.webhook.signed === 'bad' ? `v1,${mac.slice(1)}A` : `v1,${mac}`;
        }
        return { path, query: c.query, headers, body: c.body };
      });

  // ---------- running one case ----------

  let token = '';
  const send = async (r: RouteTraits, req: FuzzRequest): Promise<Response> => {
    const url = req.query ? `${req.path}?${req.query}` : req.path;
    const client = t.http();
    let call = client[r.method.toLowerCase() as 'get'](url)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    for (const [k, v] of Object.entries(req.headers)) call = call.set(k, k === 'Authorization' && v === 'VALID' ? `Bearer ${token}` : v);
    if (req.body !== undefined) call = call.send(req.body);
    return call;
  };

  /** What is wrong with an answer, or null. */
  const judge = (r: RouteTraits, res: Response): string | null => {
    const text = (res.body as Buffer).toString('utf8');
    if (res.status >= 500) return `answered ${res.status}`;
    if (STACK.test(text)) return 'the answer shows a stack trace or an internal error';
    const type = String(res.headers['content-type'] ?? '');
    if (res.status >= 400) {
      if (!type.startsWith('application/json')) return `error answer is ${type || 'untyped'}, not JSON`;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return 'error answer is not valid JSON';
      }
      if (r.webhook && res.status === 403) return JSON.stringify(body) === '{"received":false}' ? null : 'webhook 403 is not {received:false}';
      if (typeof body.error !== 'string' || !body.error) return 'error answer has no string `error`';
      if (body.details !== undefined && !Array.isArray(body.details)) return '`details` is not a list';
      return null;
    }
    if (type.startsWith('application/json')) {
      try {
        JSON.parse(text);
      } catch {
        return 'JSON answer does not parse';
      }
    }
    return null;
  };

  const relogin = async () => {
    const res = await t.http().post('/api/auth/login').send({ email: fuzzer.email, password: fuzzer.password }).expect(200);
    token = res.body.token as string;
  };
  /** The fuzzer may log itself out (logout, DELETE /sessions): then it logs in again. */
  const keepToken = async () => {
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
    if (me.status === 401) await relogin();
  };

  async function fuzzAll(mode: Mode): Promise<void> {
    token = fuzzer.token;
    const deadline = Date.now() + BUDGET_MS;
    const failures: string[] = [];
    const fuzzed = routes.filter((r) => !['GET /api/docs', 'GET /api/docs-json'].includes(r.key));
    expect(fuzzed.length).toBeGreaterThan(20);
    let modeCount = 0;
    for (const [index, r] of fuzzed.entries()) {
      const left = Math.max(500, (deadline - Date.now()) / (fuzzed.length - index));
      let runs = 0;
      const result = await fc.check(
        fc.asyncProperty(requestArb(r, mode), async (req) => {
          runs++;
          const res = await send(r, req);
          const problem = judge(r, res);
          if (mode === 'authenticated' && (res.status === 401 || r.key === 'POST /api/auth/logout' || r.key === 'DELETE /api/auth/sessions')) await keepToken();
          if (problem) {
            throw new Error(
              `${problem}\n  ${r.method} ${req.query ? `${req.path}?${req.query}` : req.path}\n  headers ${JSON.stringify(req.headers)}\n  body ${preview(req.body)}\n  -> ${res.status} ${(res.body as Buffer).toString('utf8').slice(0, 400)}`,
            );
          }
        }),
        { seed: seedOf(`${mode} ${r.key}`), numRuns: RUNS_PER_ROUTE, interruptAfterTimeLimit: left, markInterruptAsFailure: false, endOnFailure: true },
      );
      modeCount += runs;
      if (result.failed) {
        const error = result.errorInstance;
        failures.push(`${mode} ${r.key}: ${(error instanceof Error ? error.message : String(error)).slice(0, 1500)} (seed ${result.seed}, path ${result.counterexamplePath})`);
      }
      const broken = await integrityProblems(t);
      if (broken.length) failures.push(`${mode} ${r.key}: database integrity: ${broken.join('; ')}`);
    }
    total += modeCount;
    console.log(`fuzz ${mode}: ${modeCount} cases over ${fuzzed.length} routes in ${((BUDGET_MS - (deadline - Date.now())) / 1000).toFixed(1)} s`);
    expect(failures).toEqual([]);
    expect(prototypeProblems(protoBefore, ['polluted', 'role', 'isPremium', 'x'])).toEqual([]);
  }

  it('anonymous: every answer is 2xx/3xx or a 4xx JSON {error}, never a 5xx or a stack; the database stays whole', async () => {
    await fuzzAll('anonymous');
  }, BUDGET_MS + 60_000);

  it('authenticated (an administrator’s valid token): the same', async () => {
    await fuzzAll('authenticated');
  }, BUDGET_MS + 60_000);

  it('leaves a whole database and an app that still answers', async () => {
    expect(await integrityProblems(t)).toEqual([]);
    await t.http().get('/api/health/ready').expect(200);
    const me = await t.http().post('/api/auth/login').send({ email: fuzzer.email, password: fuzzer.password }).expect(200);
    expect(me.body.user.id).toBe(fuzzer.id);
  });
});
