import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createVerifier } from 'fast-jwt';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { securityConfig } from '../config/configuration';

export const PENDING_TOKEN_TTL_SECONDS = 5 * 60;
/** Tokens whose signature was checked, remembered by fast-jwt (keyed by the token's SHA-256). */
const VERIFIED_TOKEN_CACHE_SIZE = 5000;
const VERIFIED_TOKEN_CACHE_TTL_MS = 10 * 60 * 1000;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  typ: 'access';
  iat: number;
  exp: number;
}

export interface PendingClaims {
  sub: string;
  jti: string;
  typ: '2fa_pending';
  iat: number;
  exp: number;
}

/**
 * Signs and checks NullPass's two kinds of JWT. Only HS256 is accepted (no `alg:none`,
 * no RS/HS confusion); JWT_SECRET_PREVIOUS is still accepted while keys rotate.
 *
 * Signing goes through @nestjs/jwt. Checking, on every authenticated request, goes through
 * fast-jwt's verifier with its cache: a token whose HS256 signature was already checked is
 * not hashed and parsed again (jsonwebtoken allocated ~30 kB per check, and under load that
 * garbage made a token check cost ~60 µs instead of 10). Only the signature is remembered:
 * expiry is checked against the app's Clock on every call, and the caller still checks the
 * session row on every request (flaw 1).
 */
@Injectable()
export class TokenService {
  /**
   * The signing key, built once: given a string, jsonwebtoken first tries (and fails) to
   * parse it as a PEM public key on every call. (@nestjs/jwt passes the key object through
   * to jsonwebtoken unchanged.) Only the current secret signs; both are accepted below.
   */
  private readonly signingKey: KeyObject;
  /** One verifier per accepted secret, current first. */
  private readonly verifiers: Array<(token: string) => unknown>;

  constructor(
    private readonly jwt: JwtService,
    @Inject(securityConfig.KEY) config: ConfigType<typeof securityConfig>,
  ) {
    const accepted = [config.jwtSecret, config.jwtSecretPrevious].filter((s): s is string => !!s);
    this.signingKey = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
    this.verifiers = accepted.map((s) =>
      createVerifier({
        key: Buffer.from(s, 'utf8'),
        algorithms: ['HS256'],
        // Time is the Clock's (tests move it): exp and nbf are checked in verify().
        ignoreExpiration: true,
        ignoreNotBefore: true,
        cache: VERIFIED_TOKEN_CACHE_SIZE,
        cacheTTL: VERIFIED_TOKEN_CACHE_TTL_MS,
      }),
    );
  }

  signAccess(userId: string, sessionId: string, jti: string, expiresAt: Date, nowMs: number): string {
    const iat = Math.floor(nowMs / 1000);
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return this.jwt.sign({ sub: userId, sid: sessionId, jti, typ: 'access', iat, exp }, { secret: asSecret(this.signingKey), algorithm: 'HS256' });
  }

  signPending(userId: string, nowMs: number): { token: string; jti: string; expiresAt: Date } {
    const jti = randomUUID();
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + PENDING_TOKEN_TTL_SECONDS;
    const token = this.jwt.sign({ sub: userId, jti, typ: '2fa_pending', iat, exp }, { secret: asSecret(this.signingKey), algorithm: 'HS256' });
    return { token, jti, expiresAt: new Date(exp * 1000) };
  }

  verifyAccess(token: string, nowMs: number): AccessClaims | null {
    const claims = this.verify(token, nowMs);
    if (!claims || claims.typ !== 'access' || typeof claims.sid !== 'string' || typeof claims.jti !== 'string') return null;
    return claims as unknown as AccessClaims;
  }

  verifyPending(token: string, nowMs: number): PendingClaims | null {
    const claims = this.verify(token, nowMs);
    if (!claims || claims.typ !== '2fa_pending' || typeof claims.jti !== 'string') return null;
    return claims as unknown as PendingClaims;
  }

  private verify(token: string, nowMs: number): Record<string, unknown> | null {
    if (typeof token !== 'string' || token.length > 4096) return null;
    for (const verifier of this.verifiers) {
      let claims: Record<string, unknown>;
      try {
        claims = verifier(token) as Record<string, unknown>;
      } catch {
        continue; // try the previous secret, if any
      }
      // Expired from the second of `exp` on, as jsonwebtoken had it; a token without exp is refused.
      if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || nowMs >= claims.exp * 1000) return null;
      if (typeof claims.nbf === 'number' && nowMs < claims.nbf * 1000) return null;
      return claims;
    }
    return null;
  }
}

/** @nestjs/jwt types `secret` as string | Buffer, but hands it to jsonwebtoken as is, which takes key objects. */
function asSecret(key: KeyObject): string {
  return key as unknown as string;
}
