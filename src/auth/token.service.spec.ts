import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import { sha256Hex } from '../common/crypto/hash';
import { CHECKED_TOKEN_CACHE_SIZE, TokenService } from './token.service';

/** The token rules, and that remembering checked tokens changes none of them. */
describe('TokenService', () => {
  const secret = 'a'.repeat(40);
  const previous = 'b'.repeat(40);
  const nowMs = Date.UTC(2026, 11, 2, 12, 0, 0);
  const inAnHour = new Date(nowMs + 3_600_000);
  const service = (jwtSecretPrevious?: string) =>
    new TokenService(new JwtService(), { jwtSecret: secret, jwtSecretPrevious } as never);
  const sid = '6f1c2b9e-6c0e-4a3e-9f57-2d7c1f0b8a11';

  /** An HS256 token over any payload, signed with `key` (to forge what signAccess never makes). */
  const signed = (payload: object, key = secret) => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  };

  it('accepts an access token, again and again, with the SHA-256 of its jti (what the session row stores)', () => {
    const tokens = service();
    const token = tokens.signAccess('user-1', sid, 'jti-1', inAnHour, nowMs);
    for (let i = 0; i < 3; i++) {
      const access = tokens.verifyAccess(token, nowMs + i * 1000);
      expect(access?.claims).toMatchObject({ sub: 'user-1', sid, jti: 'jti-1', typ: 'access' });
      expect(access?.jtiHash).toBe(sha256Hex('jti-1'));
    }
  });

  it('refuses a token already accepted once from the second of its exp on', () => {
    const tokens = service();
    const token = tokens.signAccess('user-1', sid, 'jti-1', inAnHour, nowMs);
    expect(tokens.verifyAccess(token, nowMs)).not.toBeNull();
    expect(tokens.verifyAccess(token, inAnHour.getTime() - 1)).not.toBeNull();
    expect(tokens.verifyAccess(token, inAnHour.getTime())).toBeNull();
    expect(tokens.verifyAccess(token, inAnHour.getTime() + 86_400_000)).toBeNull();
  });

  it('refuses a token before its nbf, also once it was accepted', () => {
    const tokens = service();
    const nbf = Math.floor(nowMs / 1000) + 60;
    const token = signed({ sub: 'user-1', sid, jti: 'jti-1', typ: 'access', nbf, exp: nbf + 3600 });
    expect(tokens.verifyAccess(token, nowMs)).toBeNull();
    expect(tokens.verifyAccess(token, nbf * 1000)).not.toBeNull();
    expect(tokens.verifyAccess(token, nowMs)).toBeNull();
  });

  it('refuses a changed signature or payload of a token it accepted before', () => {
    const tokens = service();
    const token = tokens.signAccess('user-1', sid, 'jti-1', inAnHour, nowMs);
    expect(tokens.verifyAccess(token, nowMs)).not.toBeNull();
    const [header, payload, signature] = token.split('.');
    const otherSignature = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    expect(tokens.verifyAccess(`${header}.${payload}.${otherSignature}`, nowMs)).toBeNull();
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherPayload = Buffer.from(JSON.stringify(Object.assign(claims, { sub: 'user-2' }))).toString('base64url');
    expect(tokens.verifyAccess(`${header}.${otherPayload}.${signature}`, nowMs)).toBeNull();
  });

  it('refuses other keys, alg none, pending tokens and tokens without exp, sid or jti', () => {
    const tokens = service();
    const exp = Math.floor(nowMs / 1000) + 3600;
    const good = { sub: 'user-1', sid, jti: 'jti-1', typ: 'access', exp };
    expect(tokens.verifyAccess(signed(good), nowMs)).not.toBeNull();
    expect(tokens.verifyAccess(signed(good, 'c'.repeat(40)), nowMs)).toBeNull();
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.`;
    expect(tokens.verifyAccess(none, nowMs)).toBeNull();
    expect(tokens.verifyAccess(tokens.signPending('user-1', nowMs).token, nowMs)).toBeNull();
    for (const missing of ['exp', 'sid', 'jti', 'sub'] as const) {
      const claims: Record<string, unknown> = Object.assign({}, good);
      delete claims[missing];
      expect(tokens.verifyAccess(signed(claims), nowMs)).toBeNull();
    }
  });

  it('accepts tokens of JWT_SECRET_PREVIOUS while keys rotate, and only those two keys', () => {
    const exp = Math.floor(nowMs / 1000) + 3600;
    const claims = { sub: 'user-1', sid, jti: 'jti-1', typ: 'access', exp };
    expect(service(previous).verifyAccess(signed(claims, previous), nowMs)).not.toBeNull();
    expect(service().verifyAccess(signed(claims, previous), nowMs)).toBeNull();
  });

  it('remembers at most CHECKED_TOKEN_CACHE_SIZE tokens, and still accepts one it forgot', () => {
    const tokens = service();
    const issued = Array.from({ length: CHECKED_TOKEN_CACHE_SIZE + 50 }, (_, i) => tokens.signAccess(`user-${i}`, sid, `jti-${i}`, inAnHour, nowMs));
    for (const token of issued) expect(tokens.verifyAccess(token, nowMs)).not.toBeNull();
    expect(tokens['checked'].size).toBe(CHECKED_TOKEN_CACHE_SIZE);
    expect(tokens['checked'].has(issued[0])).toBe(false);
    expect(tokens.verifyAccess(issued[0], nowMs)?.claims.sub).toBe('user-0');
  });
});
