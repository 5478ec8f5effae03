import { ExecutionContext, HttpException, Inject, Injectable, Logger, ServiceUnavailableException, SetMetadata } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerRequest } from '@nestjs/throttler';
import { rateLimitConfig } from '../../config/configuration';
import { MetricsService } from '../../metrics/metrics.service';
import { Messages } from '../messages';

export type RateClass = 'read' | 'write' | 'auth';
export const RATE_CLASS_KEY = 'nullpass:rate-class';

/**
 * Per-route request costs, as the original had them: login, register, password and
 * account routes are `auth` (tightest), other writes `write`, everything else `read`.
 */
export const RateLimit = (rateClass: RateClass) => SetMetadata(RATE_CLASS_KEY, rateClass);

/**
 * @nestjs/throttler's guard with the per-minute limit chosen by the route's class.
 * Requests are counted per client IP (Express's req.ip, which honours TRUST_PROXY).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly limits: Record<RateClass, number>;
  private readonly log = new Logger('RateLimit');

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(rateLimitConfig.KEY) config: ConfigType<typeof rateLimitConfig>,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
    this.limits = { read: config.readPerMinute, write: config.writePerMinute, auth: config.authPerMinute };
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const rateClass = this.reflector.getAllAndOverride<RateClass | undefined>(RATE_CLASS_KEY, [
      props.context.getHandler(),
      props.context.getClass(),
    ]);
    try {
      return await super.handleRequest(Object.assign({}, props, { limit: this.limits[rateClass ?? 'read'] }));
    } catch (error) {
      if (error instanceof HttpException) {
        this.metrics.rateLimit(rateClass ?? 'read');
        throw error;
      }
      // The shared store (Redis) is unreachable: credential routes fail closed with a
      // clear 503, everything else keeps answering (the instance recovers by itself).
      this.log.warn({ err: (error as Error).message }, 'rate-limit store unavailable');
      if (rateClass === 'auth') throw new ServiceUnavailableException(Messages.serviceUnavailable);
      return true;
    }
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return String((req as { ip?: string }).ip ?? 'unknown');
  }

  protected override async shouldSkip(_context: ExecutionContext): Promise<boolean> {
    return false;
  }
}
