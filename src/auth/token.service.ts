import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { securityConfig } from '../config/configuration';

export const PENDING_TOKEN_TTL_SECONDS = 5 * 60;

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
 */
@Injectable()
export class TokenService {
  /**
   * Secret keys built once: given a string, jsonwebtoken first tries (and fails) to parse
   * it as a PEM public key on every call, which was a quarter of a token check's CPU.
   * (@nestjs/jwt passes the key object through to jsonwebtoken unchanged.)
   */
  private readonly secrets: KeyObject[];

  constructor(
    private readonly jwt: JwtService,
    @Inject(securityConfig.KEY) config: ConfigType<typeof securityConfig>,
  ) {
    this.secrets = [config.jwtSecret, config.jwtSecretPrevious]
      .filter((s): s is string => !!s)
      .map((s) => createSecretKey(Buffer.from(s, 'utf8')));
  }

  signAccess(userId: string, sessionId: string, jti: string, expiresAt: Date, nowMs: number): string {
    const iat = Math.floor(nowMs / 1000);
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return this.jwt.sign({ sub: userId, sid: sessionId, jti, typ: 'access', iat, exp }, { secret: asSecret(this.secrets[0]), algorithm: 'HS256' });
  }

  signPending(userId: string, nowMs: number): { token: string; jti: string; expiresAt: Date } {
    const jti = randomUUID();
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + PENDING_TOKEN_TTL_SECONDS;
    const token = this.jwt.sign({ sub: userId, jti, typ: '2fa_pending', iat, exp }, { secret: asSecret(this.secrets[0]), algorithm: 'HS256' });
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
    for (const secret of this.secrets) {
      try {
        const claims = this.jwt.verify<Record<string, unknown>>(token, {
          secret: asSecret(secret),
          algorithms: ['HS256'],
          clockTimestamp: Math.floor(nowMs / 1000),
        });
        if (typeof claims.sub !== 'string') return null;
        return claims;
      } catch {
        // try the previous secret, if any
      }
    }
    return null;
  }
}

/** @nestjs/jwt types `secret` as string | Buffer, but hands it to jsonwebtoken as is, which takes key objects. */
function asSecret(key: KeyObject): string {
  return key as unknown as string;
}
