import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { rateLimitConfig } from '../../config/configuration';

/** The shared Redis connection, or null when REDIS_URL is not set (in-process stores). */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [rateLimitConfig.KEY],
      useFactory: async (config: ConfigType<typeof rateLimitConfig>): Promise<Redis | null> => {
        if (!config.redisUrl) return null;
        // ioredis is loaded only when REDIS_URL is set: a single instance does not carry it.
        const { default: RedisClient } = await import('ioredis');
        const logger = new Logger('Redis');
        const redis = new RedisClient(config.redisUrl, {
          // Fail fast while Redis is away (callers decide: limits on login fail closed,
          // reads fail open) and reconnect by themselves when it is back.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          commandTimeout: 1000,
          retryStrategy: (times) => Math.min(times * 200, 2000),
          lazyConnect: false,
          keyPrefix: config.redisKeyPrefix,
        });
        let down = false;
        redis.on('error', (error: Error) => {
          if (!down) logger.warn({ err: error.message }, 'Redis unavailable; retrying');
          down = true;
        });
        redis.on('ready', () => {
          if (down) logger.log('Redis available again');
          down = false;
        });
        return redis;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
