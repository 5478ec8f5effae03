import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import type Redis from 'ioredis';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { CounterStore, MemoryCounterStore } from '../common/rate-limit/counter-store';
import { RateLimitGuard } from '../common/rate-limit/rate-limit.guard';
import { RedisCounterStore } from '../common/rate-limit/redis-counter-store';
import { REDIS } from '../common/redis/redis.module';
import { UnexpectedBodyGuard } from '../common/unexpected-body.guard';
import { rateLimitConfig } from '../config/configuration';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { InternalSecretGuard } from './guards/internal-secret.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { ReauthGuard } from './guards/reauth.guard';
import { LoginLimiter } from './login-limiter.service';
import { PasswordService } from './password.service';
import { ProfileController } from './profile.controller';
import { ProfileService } from './profile.service';
import { SessionService } from './session.service';
import { SessionsController } from './sessions.controller';
import { TokenService } from './token.service';
import { TotpService } from './totp.service';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorService } from './two-factor.service';

/**
 * Registration, login, sessions, tokens, 2FA and the guards every other module relies
 * on. Guard order: rate limit first (cheap, keeps floods off bcrypt), then the JWT.
 */
@Global()
@Module({
  imports: [
    JwtModule.register({}),
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY, REDIS],
      useFactory: async (config: ConfigType<typeof rateLimitConfig>, redis: Redis | null) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.readPerMinute }],
        skipIf: () => config.disabled,
        // With REDIS_URL every instance counts against the same limits.
        // (loaded only then, like ioredis itself: a process without Redis does not carry it)
        ...(redis ? { storage: new (await import('@nest-lab/throttler-storage-redis')).ThrottlerStorageRedisService(redis) } : {}),
      }),
    }),
  ],
  controllers: [AuthController, ProfileController, SessionsController, TwoFactorController],
  providers: [
    AuthService,
    ProfileService,
    TwoFactorService,
    SessionService,
    TokenService,
    PasswordService,
    TotpService,
    LoginLimiter,
    ReauthGuard,
    InternalSecretGuard,
    {
      provide: CounterStore,
      inject: [Clock, REDIS],
      useFactory: (clock: Clock, redis: Redis | null) =>
        redis ? new RedisCounterStore(redis) : new MemoryCounterStore(() => clock.nowMs()),
    },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: UnexpectedBodyGuard },
  ],
  exports: [PasswordService, TotpService, SessionService, TokenService, LoginLimiter, ReauthGuard, InternalSecretGuard, CounterStore],
})
export class AuthModule {}
