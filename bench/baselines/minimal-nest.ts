/**
 * The framework's floor: NestJS on Express with one controller answering GET /api/health with
 * the same JSON as the app (BENCH_HEALTH_BODY). Nest's defaults, no logger, nothing else.
 * With BENCH_PRESET_PROTOTYPES=true it runs on the app's ExpressHttpAdapter instead (node:http
 * builds requests on Express's prototypes), so the app can also be compared with a floor that
 * has the same server.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressHttpAdapter } from '../../src/common/express-http.adapter';

const BODY: unknown = JSON.parse(process.env.BENCH_HEALTH_BODY ?? '{"status":"ok"}');

@Controller('health')
class HealthController {
  @Get()
  live(): unknown {
    return BODY;
  }
}

@Module({ controllers: [HealthController] })
class MinimalModule {}

async function main(): Promise<void> {
  const app =
    process.env.BENCH_PRESET_PROTOTYPES === 'true'
      ? await NestFactory.create(MinimalModule, new ExpressHttpAdapter(), { logger: false })
      : await NestFactory.create(MinimalModule, { logger: false });
  app.setGlobalPrefix('api');
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
