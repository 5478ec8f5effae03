import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataProtector } from '../common/crypto/data-protector';
import { Messages } from '../common/messages';
import { CounterStore } from '../common/rate-limit/counter-store';
import { rateLimitConfig } from '../config/configuration';

export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super({ error: Messages.tooManyRequests }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Failed-login limits (flaw 13): failures, not requests, per (email, IP), per email and
 * per IP within a window. Keys use the normalised email's HMAC whether or not an
 * account exists, so a 429 reveals nothing; while a limit holds even a correct password
 * is refused; windows end by themselves, so an account is slowed, never locked for good.
 */
@Injectable()
export class LoginLimiter {
  private readonly windowMs: number;
  private readonly limits: { kind: 'email_ip' | 'email' | 'ip'; max: number }[];

  constructor(
    private readonly store: CounterStore,
    private readonly protector: DataProtector,
    @Inject(rateLimitConfig.KEY) config: ConfigType<typeof rateLimitConfig>,
  ) {
    this.windowMs = config.loginFailureWindowMinutes * 60_000;
    this.limits = [
      { kind: 'email_ip', max: config.loginFailuresPerEmailIp },
      { kind: 'email', max: config.loginFailuresPerEmail },
      { kind: 'ip', max: config.loginFailuresPerIp },
    ];
  }

  /** Throws 429 (with the seconds to wait) while any limit holds. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    let waitMs = 0;
    for (const { kind, max } of this.limits) {
      const { count, msLeft } = await this.store.peek(keys[kind]);
      if (count >= max) waitMs = Math.max(waitMs, msLeft);
    }
    if (waitMs > 0) throw new TooManyAttemptsException(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    for (const { kind } of this.limits) await this.store.hit(keys[kind], this.windowMs);
  }

  private keys(email: string, ip: string): Record<'email_ip' | 'email' | 'ip', string> {
    const e = this.protector.emailHmac(email);
    const i = this.protector.ipIndex(ip);
    return { email_ip: `login-fail:ei:${e}:${i}`, email: `login-fail:e:${e}`, ip: `login-fail:i:${i}` };
  }
}
