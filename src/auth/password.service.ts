import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import * as bcrypt from 'bcrypt';
import { createHash, randomBytes } from 'node:crypto';
import { securityConfig } from '../config/configuration';

/**
 * bcrypt reads only 72 bytes, so every password is first reduced with SHA-256 (base64,
 * 44 bytes) and that is hashed: no character is ever ignored (spec, security decisions).
 * bcrypt runs on libuv's thread pool (the async API), never on the event loop.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private readonly rounds: number;
  private dummyHash = '';

  constructor(@Inject(securityConfig.KEY) config: ConfigType<typeof securityConfig>) {
    this.rounds = config.bcryptRounds;
  }

  async onModuleInit(): Promise<void> {
    // Compared against when the email is unknown, so both failures cost one bcrypt (flaw 12).
    this.dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), this.rounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(prehash(password), this.rounds);
  }

  verify(password: string, hash: string | null | undefined): Promise<boolean> {
    return bcrypt.compare(prehash(password), hash || this.dummyHash).then((ok) => ok && !!hash);
  }

  /** Spends the same time as a real comparison, for an unknown account. */
  async verifyAgainstNothing(password: string): Promise<false> {
    await bcrypt.compare(prehash(password), this.dummyHash);
    return false;
  }
}

export function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}
