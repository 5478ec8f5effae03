import { HttpException, HttpStatus, Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataProtector } from '../common/crypto/data-protector';
import { Messages } from '../common/messages';
import { CounterStore } from '../common/rate-limit/counter-store';
import { rateLimitConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';

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
  private readonly logger = new Logger(LoginLimiter.name);
  private readonly limits: { kind: 'email_ip' | 'email' | 'ip'; max: number }[];

  constructor(
    private readonly store: CounterStore,
    private readonly protector: DataProtector,
    @Inject(rateLimitConfig.KEY) config: ConfigType<typeof rateLimitConfig>,
    private readonly metrics: MetricsService,
  ) {
    this.windowMs = config.loginFailureWindowMinutes * 60_000;
    this.limits = [
      { kind: 'email_ip', max: config.loginFailuresPerEmailIp },
      { kind: 'email', max: config.loginFailuresPerEmail },
      { kind: 'ip', max: config.loginFailuresPerIp },
    ];
  }

  /**
   * Claims one attempt against every limit BEFORE the credentials are checked. The hit is
   * atomic, so each of a burst of parallel guesses sees the ones before it (peeking, then
   * counting the failure afterwards, let a whole burst through while no failure was
   * recorded yet). Throws 429 (with the seconds to wait; the claim taken back) while a
   * limit holds. A failed attempt keeps its claim as its failure; a successful one is
   * release()d, so failures, not requests, are limited.
   */
  async claim(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    const counts = await this.guarded(() => Promise.all(this.limits.map(({ kind }) => this.store.hit(keys[kind], this.windowMs))));
    let waitMs = 0;
    this.limits.forEach(({ max }, i) => {
      if (counts[i].count > max) waitMs = Math.max(waitMs, counts[i].msLeft);
    });
    if (waitMs > 0) {
      await this.release(email, ip);
      this.metrics.rateLimit('login_failures');
      this.metrics.login('rate_limited');
      throw new TooManyAttemptsException(Math.max(1, Math.ceil(waitMs / 1000)));
    }
  }

  /** Takes a claim back: the attempt succeeded, or ended for a reason that is not a failed credential. */
  async release(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    await this.guarded(() => Promise.all(this.limits.map(({ kind }) => this.store.release(keys[kind]))));
  }

  /** Without its store the limiter cannot limit: logins fail closed with a clear 503. */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'login limiter store unavailable');
      this.metrics.login('unavailable');
      throw new ServiceUnavailableException(Messages.serviceUnavailable);
    }
  }

  private keys(email: string, ip: string): Record<'email_ip' | 'email' | 'ip', string> {
    const e = this.protector.emailHmac(email);
    const i = this.protector.ipIndex(ip);
    return { email_ip: `login-fail:ei:${e}:${i}`, email: `login-fail:e:${e}`, ip: `login-fail:i:${i}` };
  }
}
