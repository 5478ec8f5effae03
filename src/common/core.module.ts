import { Global, Module, RequestMethod } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { allConfig, appConfig } from '../config/configuration';
import { DatabaseModule } from '../database/database.module';
import { Clock } from './clock';
import { DataProtector } from './crypto/data-protector';
import { RedisModule } from './redis/redis.module';

/**
 * Infrastructure every feature module relies on: typed configuration, structured
 * logs, the database, the scheduler, the clock and data protection.
 */
@Global()
@Module({
  imports: [
    // .env is read by config/load-env.ts, first thing in every entry point.
    ConfigModule.forRoot({ isGlobal: true, load: allConfig, ignoreEnvFile: true, cache: true }),
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        // Without request logging the per-request child logger is not worth its cost
        // (about a tenth of a cheap request): pino-http is not mounted at all (no routes;
        // an `exclude` would still add router layers that test and skip every request).
        // (Express 5 path syntax, so Nest does not warn about the legacy "*".)
        forRoutes: config.requestLogging ? [{ method: RequestMethod.ALL, path: '{*path}' }] : [],
        pinoHttp: {
          level: config.logLevel,
          quietReqLogger: true,
          // The gateway's X-Request-Id is kept (if sane) or one is made; it is echoed back
          // and carried by every log line of the request.
          // (set by the request-id middleware of configureApp, which runs first)
          genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? randomUUID(),
          // Only method and path: no headers (tokens, secrets), no query, no body, no IP.
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              path: String(req.url).split('?')[0],
            }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
          redact: {
            paths: ['password', '*.password', 'token', '*.token', 'verificationCode', '*.verificationCode', 'authorization', '*.authorization', 'secret', '*.secret'],
            censor: '[redacted]',
          },
        },
      }),
    }),
    ScheduleModule.forRoot(),
    DatabaseModule,
    RedisModule,
  ],
  providers: [Clock, DataProtector],
  exports: [Clock, DataProtector],
})
export class CoreModule {}
