import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { securityConfig } from '../../config/configuration';

const SEAL_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encryption at rest for personal data (IP addresses, 2FA secrets) and keyed hashes
 * for equality lookups (IP blind index, emails in the ledger, recovery codes).
 *
 * The keys are derived ONCE, here, from IP_ENCRYPTION_KEY. The original ran 100,000
 * PBKDF2 iterations synchronously on every request (flaw 4) and encrypted IPs with a
 * random IV and then compared ciphertexts, so same-IP reuse never matched (flaw 3):
 * the blind index below is what makes that comparison possible.
 */
@Injectable()
export class DataProtector {
  private readonly sealKey: Buffer;
  private readonly indexKey: Buffer;
  private readonly emailKey: Buffer;
  private readonly codeKey: Buffer;
  private readonly jtiKey: Buffer;

  constructor(@Inject(securityConfig.KEY) config: ConfigType<typeof securityConfig>) {
    // scrypt makes a human passphrase costly to brute force; it runs once per process.
    const master = scryptSync(config.ipEncryptionKey, 'nullpass/data-protector/v1', 32);
    const derive = (label: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), label, 32));
    this.sealKey = derive('seal');
    this.indexKey = derive('ip-index');
    this.emailKey = derive('email-hmac');
    this.codeKey = derive('recovery-code');
    this.jtiKey = derive('session-jti');
  }

  /** AES-256-GCM with a fresh IV: equal inputs give different outputs. */
  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${SEAL_VERSION}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Returns null for anything that was not sealed with this key (never throws). */
  open(sealed: string | null | undefined): string | null {
    if (!sealed || !sealed.startsWith(`${SEAL_VERSION}:`)) return null;
    try {
      const raw = Buffer.from(sealed.slice(SEAL_VERSION.length + 1), 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) return null;
      const iv = raw.subarray(0, IV_BYTES);
      const tag = raw.subarray(raw.length - TAG_BYTES);
      const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  /** Deterministic keyed hash of an IP, so "same IP" can be asked without decrypting. */
  ipIndex(ip: string): string {
    return createHmac('sha256', this.indexKey).update(ip).digest('hex');
  }

  /** HMAC of a normalised email: LOGIN_FAILED data and the deletion ledger keep only this. */
  emailHmac(normalisedEmail: string): string {
    return createHmac('sha256', this.emailKey).update(normalisedEmail).digest('hex');
  }

  /** Recovery codes are long and random, so a keyed hash (not bcrypt) is the right store. */
  recoveryCodeHash(code: string): string {
    return createHmac('sha256', this.codeKey).update(code).digest('hex');
  }

  /**
   * The token id of a session. Derived from the session id with a server key, so a
   * same-IP login can re-issue a token naming the same jti (seed 004) while the
   * database holds only a hash of it.
   */
  jtiFor(sessionId: string): string {
    return createHmac('sha256', this.jtiKey).update(sessionId).digest('base64url').slice(0, 32);
  }
}
