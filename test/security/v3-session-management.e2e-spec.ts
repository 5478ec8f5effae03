import { createHmac, createPublicKey, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { Messages } from '../../src/common/messages';
import { bearer, givenUser, totpCode } from '../support/given';
import { createTestApp, dropSchema, TestApp } from '../support/test-app';

/**
 * OWASP ASVS V3 (session management) with V3.5 (token-based sessions): a bearer token is
 * accepted only when it is an HS256 access token signed with our secret, unexpired, and
 * names a live session of its user (spec "Tokens and sessions"; flaws 1 and 2).
 */
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
/** A JWT signed by hand, so the attack is exactly the one named (no library refusing to build it). */
const rawToken = (header: object, claims: object, sign: (input: string) => Buffer | string) => {
  const input = `${b64(header)}.${b64(claims)}`;
  const sig = sign(input);
  return `${input}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
};
const APP_SECRET = process.env.JWT_SECRET as string;

describe('ASVS V3 session management: only live access tokens are bearer tokens', () => {
  let t: TestApp;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await t.close();
    await dropSchema();
  });

  /** Refused as a bearer (401 Unauthorized) and reported invalid by /verify (401 Invalid token). */
  async function expectRefused(token: string): Promise<void> {
    const me = await t.http().get('/api/auth/me').set(bearer(token));
    expect({ status: me.status, body: me.body }).toEqual({ status: 401, body: { error: Messages.unauthorized } });
    const verify = await t.http().post('/api/auth/verify').send({ token });
    expect({ status: verify.status, body: verify.body }).toEqual({ status: 401, body: { error: Messages.invalidToken } });
  }

  it('the genuine token of a live session is accepted (the control for every refusal below)', async () => {
    const u = await givenUser(t);
    await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    expect((await t.http().post('/api/auth/verify').send({ token: u.token }).expect(200)).body.valid).toBe(true);
  });

  it('V3.5.3: refuses alg "none" (unsigned), in any spelling', async () => {
    const u = await givenUser(t);
    const claims = decode(u.token);
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expectRefused(rawToken({ alg, typ: 'JWT' }, claims, () => ''));
    }
  });

  it('V3.5.3: refuses an RS256 token signed with an attacker’s key pair (algorithm substitution)', async () => {
    const u = await givenUser(t);
    const claims = decode(u.token);
    await expectRefused(jwt.sign(claims, privateKey, { algorithm: 'RS256' }));
    // ... and with the attacker's public key embedded in the header (jwk injection)
    const jwk = createPublicKey(publicKey).export({ format: 'jwk' });
    await expectRefused(rawToken({ alg: 'RS256', typ: 'JWT', jwk }, claims, (input) => rsaSign('sha256', Buffer.from(input), privateKey)));
  });

  it('V3.5.3: refuses the HS/RS confusion: HS256 signed with the "public key" text as the secret', async () => {
    const u = await givenUser(t);
    const claims = decode(u.token);
    await expectRefused(rawToken({ alg: 'HS256', typ: 'JWT' }, claims, (input) => createHmac('sha256', publicKey).update(input).digest()));
  });

  it('refuses a token signed with another secret, and one whose payload was altered after signing', async () => {
    const a = await givenUser(t);
    const b = await givenUser(t);
    await expectRefused(jwt.sign(decode(a.token), 'another-secret-0123456789abcdef0123456789ab', { algorithm: 'HS256' }));
    // A's signature over a payload that now names B
    const [header, , signature] = a.token.split('.');
    await expectRefused(`${header}.${b64({ ...decode(a.token), sub: b.id })}.${signature}`);
    // other HMAC strengths with our own secret are not accepted either (HS256 only)
    await expectRefused(jwt.sign(decode(a.token), APP_SECRET, { algorithm: 'HS512' }));
  });

  it('refuses a correctly signed token whose subject is not the session’s user (sid/sub bound together)', async () => {
    const a = await givenUser(t);
    const b = await givenUser(t);
    await expectRefused(jwt.sign({ ...decode(a.token), sub: b.id }, APP_SECRET, { algorithm: 'HS256' }));
  });

  it('refuses an expired token even while its session lives', async () => {
    const u = await givenUser(t);
    const claims = decode(u.token);
    const iat = claims.iat as number;
    await expectRefused(jwt.sign({ ...claims, iat: iat - 120, exp: iat - 60 }, APP_SECRET, { algorithm: 'HS256' }));
    // the genuine token is still fine: only the forged expiry was refused
    await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
  });

  it('refuses a correctly signed token without an expiry', async () => {
    const u = await givenUser(t);
    const { exp: _exp, ...claims } = decode(u.token);
    await expectRefused(jwt.sign(claims, APP_SECRET, { algorithm: 'HS256' }));
  });

  it('refuses the token of a session that expired', async () => {
    const u = await givenUser(t);
    // used first: a token whose signature was already checked is still refused once it expires
    await t.http().get('/api/auth/me').set(bearer(u.token)).expect(200);
    t.clock.advance(8 * 24 * 60 * 60 * 1000); // SESSION_EXPIRES_DAYS = 7
    await expectRefused(u.token);
  });

  it('refuses the token of a revoked session at once: logout, DELETE /sessions?id=, DELETE /sessions, password change', async () => {
    const u = await givenUser(t);
    const fromIp = (ip: string) => t.http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: u.email, password: u.password }).expect(200);
    const second = (await fromIp('198.51.100.2')).body.token as string;
    const third = (await fromIp('198.51.100.3')).body.token as string;
    const fourth = (await fromIp('198.51.100.4')).body.token as string;

    await t.http().post('/api/auth/logout').set(bearer(second)).expect(200);
    await expectRefused(second);

    await t.http().delete('/api/auth/sessions').query({ id: decode(third).sid as string }).set(bearer(u.token)).expect(200);
    await expectRefused(third);

    const newPassword = 'a brand new passphrase';
    await t.http().post('/api/auth/password').set(bearer(u.token)).send({ currentPassword: u.password, newPassword }).expect(200);
    await expectRefused(fourth);

    await t.http().delete('/api/auth/sessions').set(bearer(u.token)).expect(200);
    await expectRefused(u.token);
  });

  it('refuses a token that is not an access token (typ missing or another type), correctly signed', async () => {
    const u = await givenUser(t);
    const { typ: _typ, ...untyped } = decode(u.token);
    await expectRefused(jwt.sign(untyped, APP_SECRET, { algorithm: 'HS256' }));
    await expectRefused(jwt.sign({ ...untyped, typ: 'refresh' }, APP_SECRET, { algorithm: 'HS256' }));
  });

  it('never accepts a 2FA pending token as a bearer token, nor reports it valid (flaws 1 and 2)', async () => {
    const u = await givenUser(t, { twoFactor: true });
    const res = await t.http().post('/api/auth/login').send({ email: u.email, password: u.password }).expect(200);
    expect(res.body.requires2FA).toBe(true);
    const pending = res.body.pendingToken as string;
    await expectRefused(pending);
    for (const route of ['/api/auth/sessions', '/api/audit', '/api/services']) {
      await t.http().get(route).set(bearer(pending)).expect(401);
    }
    // ... and the pending token still completes its own step: the refusals above were not a spent token
    t.clock.advance(30_000);
    await t.http().post('/api/auth/login/2fa').send({ pendingToken: pending, verificationCode: totpCode(t, u.secret!) }).expect(200);
  });

  it('refuses tokens of a deleted account at once', async () => {
    const u = await givenUser(t);
    await t.http().post('/api/auth/delete-account').set(bearer(u.token)).send({ password: u.password }).expect(200);
    await expectRefused(u.token);
  });

  it('issues a token bound to a new session id at each login from a new place (no session fixation)', async () => {
    const u = await givenUser(t);
    const other = (await t.http().post('/api/auth/login').set('X-Forwarded-For', '198.51.100.9').send({ email: u.email, password: u.password }).expect(200))
      .body.token as string;
    expect(decode(other).sid).not.toBe(decode(u.token).sid);
    expect(decode(other).jti).not.toBe(decode(u.token).jti);
  });
});
