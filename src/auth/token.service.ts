import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createVerifier } from 'fast-jwt';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { sha256Hex } from '../common/crypto/hash';
import { securityConfig } from '../config/configuration';

export const PENDING_TOKEN_TTL_SECONDS = 5 * 60;
/** Access tokens whose signature was checked, remembered (the oldest forgotten first). */
export const CHECKED_TOKEN_CACHE_SIZE = 5000;
/** The longest token looked at (ours are ~300 characters); a longer one is refused unread. */
export const TOKEN_MAX_LENGTH = 4096;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  typ: 'access';
  iat: number;
  exp: number;
}

/** A checked access token: its claims and the SHA-256 of its jti, which is what a session row stores. */
export interface VerifiedAccess {
  claims: AccessClaims;
  jtiHash: string;
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
 * Signing goes through @nestjs/jwt; checking goes through fast-jwt's verifier (jsonwebtoken
 * allocated ~30 kB per check, and under load that garbage made a check cost ~60 µs).
 *
 * An access token is checked on every authenticated request, so one whose signature and
 * claims were already checked is remembered, by the token itself: a Map lookup instead of
 * fast-jwt's own cache, which keys on a SHA-256 of the token and so hashes every token on
 * every request (as much work as the HS256 check it saves; a quarter of a token check under
 * load, bench/README.md "fifth pass"). Holding tokens in memory reveals nothing a heap dump
 * would not already: the signing key is there too. Only tokens that passed are remembered,
 * at most CHECKED_TOKEN_CACHE_SIZE of them; expiry is checked against the app's Clock on every
 * call, and the caller still checks the session row on every request (flaw 1), which is what
 * makes logout and revocation immediate.
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
  /** Access tokens that passed, in the order they were first checked. */
  private readonly checked = new Map<string, VerifiedAccess>();

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

  verifyAccess(token: string, nowMs: number): VerifiedAccess | null {
    const known = this.checked.get(token);
    if (known) return inTime(known.claims, nowMs) ? known : null;
    const claims = this.verify(token, nowMs);
    if (!claims || claims.typ !== 'access' || typeof claims.sid !== 'string' || typeof claims.jti !== 'string') return null;
    const verified: VerifiedAccess = { claims: claims as unknown as AccessClaims, jtiHash: sha256Hex(claims.jti) };
    if (this.checked.size >= CHECKED_TOKEN_CACHE_SIZE) this.checked.delete(this.checked.keys().next().value as string);
    this.checked.set(token, verified);
    return verified;
  }

  verifyPending(token: string, nowMs: number): PendingClaims | null {
    const claims = this.verify(token, nowMs);
    if (!claims || claims.typ !== '2fa_pending' || typeof claims.jti !== 'string') return null;
    return claims as unknown as PendingClaims;
  }

  private verify(token: string, nowMs: number): Record<string, unknown> | null {
    if (typeof token !== 'string' || token.length > TOKEN_MAX_LENGTH) return null;
    for (const verifier of this.verifiers) {
      let claims: Record<string, unknown>;
      try {
        claims = verifier(token) as Record<string, unknown>;
      } catch {
        continue; // try the previous secret, if any
      }
      return typeof claims.sub === 'string' && inTime(claims, nowMs) ? claims : null;
    }
    return null;
  }
}

/** Expired from the second of `exp` on, as jsonwebtoken had it; a token without exp is refused. */
function inTime(claims: { exp?: unknown; nbf?: unknown }, nowMs: number): boolean {
  if (typeof claims.exp !== 'number' || nowMs >= claims.exp * 1000) return false;
  return typeof claims.nbf !== 'number' || nowMs >= claims.nbf * 1000;
}

/** @nestjs/jwt types `secret` as string | Buffer, but hands it to jsonwebtoken as is, which takes key objects. */
function asSecret(key: KeyObject): string {
  return key as unknown as string;
}
