import { givenUser } from '../support/given';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * OWASP ASVS V14 (configuration): the HTTP security headers set by helmet (V14.4) and CORS
 * only for the allow-listed origins (V14.5.3; spec "Conventions": any other origin gets no
 * CORS headers, preflight included).
 */
const ALLOWED = 'https://app.example.com';

describe('ASVS V14 HTTP security: CORS and security headers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ALLOWED_ORIGINS: `${ALLOWED},https://drop.example.com` } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  const corsHeaders = (headers: Record<string, string>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

  describe('V14.5.3 CORS', () => {
    it('answers a preflight from an allow-listed origin with its CORS headers (the control)', async () => {
      const res = await t
        .http()
        .options('/api/auth/login')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,authorization');
      expect(res.status).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(res.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
      expect(res.headers.vary).toMatch(/origin/i);
    });

    it.each([
      'https://evil.example',
      'https://app.example.com.evil.example',
      'https://evilapp.example.com',
      'http://app.example.com',
      'https://app.example.com:8443',
      'null',
    ])('gives %s no CORS headers: neither on a preflight nor on a request', async (origin) => {
      const preflight = await t
        .http()
        .options('/api/auth/login')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,authorization');
      expect(corsHeaders(preflight.headers)).toEqual([]);
      const u = await givenUser(t);
      const login = await t.http().post('/api/auth/login').set('Origin', origin).send({ email: u.email, password: u.password });
      expect(corsHeaders(login.headers)).toEqual([]);
      const health = await t.http().get('/api/health').set('Origin', origin).expect(200);
      expect(corsHeaders(health.headers)).toEqual([]);
    });

    it('never allows credentials with a wildcard origin', async () => {
      const res = await t.http().get('/api/health').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-origin']).not.toBe('*');
    });
  });

  describe('V14.4 security headers (helmet)', () => {
    const expectSecurityHeaders = (headers: Record<string, string>, where: string) => {
      const got = {
        where,
        nosniff: headers['x-content-type-options'],
        frame: headers['x-frame-options'],
        hsts: /max-age=\d{7,}/.test(headers['strict-transport-security'] ?? ''),
        csp: /default-src 'self'/.test(headers['content-security-policy'] ?? '') && /frame-ancestors 'self'/.test(headers['content-security-policy'] ?? ''),
        objectNone: /object-src 'none'/.test(headers['content-security-policy'] ?? ''),
        referrer: headers['referrer-policy'],
        corp: headers['cross-origin-resource-policy'],
        coop: headers['cross-origin-opener-policy'],
        poweredBy: headers['x-powered-by'],
      };
      expect(got).toEqual({
        where,
        nosniff: 'nosniff',
        frame: 'SAMEORIGIN',
        hsts: true,
        csp: true,
        objectNone: true,
        referrer: 'no-referrer',
        corp: 'same-site',
        coop: 'same-origin',
        poweredBy: undefined,
      });
    };

    it('sets them on success, on errors and on unknown routes', async () => {
      const u = await givenUser(t);
      expectSecurityHeaders((await t.http().get('/api/health').expect(200)).headers, 'GET /api/health 200');
      expectSecurityHeaders((await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200)).headers, 'login 200');
      expectSecurityHeaders((await t.http().get('/api/auth/me').expect(401)).headers, 'GET /api/auth/me 401');
      expectSecurityHeaders((await t.http().post('/api/auth/login').send({}).expect(400)).headers, 'login 400');
      expectSecurityHeaders((await t.http().get('/api/nowhere').expect(404)).headers, '404');
      expectSecurityHeaders((await t.http().get('/api/docs/').expect(200)).headers, 'Swagger UI');
    });

    it('answers JSON as application/json with a charset, so no browser sniffs it as HTML', async () => {
      const res = await t.http().get('/api/auth/me').expect(401);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('does not let scripts run from anywhere but the service itself', async () => {
      const csp = (await t.http().get('/api/health').expect(200)).headers['content-security-policy'] as string;
      const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? '';
      expect(scriptSrc.trim()).toBe("'self'");
      expect(csp).not.toContain("'unsafe-eval'");
    });
  });
});
