import 'reflect-metadata';
import './config/load-env';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ExpressHttpAdapter } from './common/express-http.adapter';
import { collectStartupGarbageWhenIdle } from './common/startup-memory';
import { appConfig, ConfigError, configWarnings, databaseConfig, validateAllConfig } from './config/configuration';
import { assertDatabaseAvailable } from './database/data-source';

async function bootstrap(): Promise<void> {
  // A missing or malformed setting stops here with one line naming it.
  validateAllConfig();
  // On SQLite: a file another process holds is said in one line, before Nest starts.
  assertDatabaseAvailable(databaseConfig());
  const app = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressHttpAdapter(), {
    bodyParser: false,
    bufferLogs: true,
  });
  configureApp(app);
  const logger = new NestLogger('Bootstrap');
  for (const warning of configWarnings()) logger.warn(warning);
  const config = app.get(appConfig.KEY) as ReturnType<typeof appConfig>;
  await app.listen(config.port, config.host);
  logger.log(`NullPass listening on http://${config.host}:${config.port}/api (docs at /api/docs)`);
  // The young generation start-up grew is given back once the service is idle (npm start passes --expose-gc).
  collectStartupGarbageWhenIdle();

  // Graceful shutdown: stop accepting, let in-flight requests finish (Node closes idle
  // keep-alive sockets), stop workers after their current delivery (OnModuleDestroy),
  // close pools. Past SHUTDOWN_GRACE_MS the process exits anyway.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down`);
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownGraceMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('NullPass failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
