import { INestApplication } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { Clock, ManualClock } from '../../src/common/clock';
import { ExpressHttpAdapter } from '../../src/common/express-http.adapter';

export interface TestApp {
  app: INestApplication;
  /** A supertest client on the app's real HTTP server. */
  http: () => ReturnType<typeof request>;
  clock: ManualClock;
  dataSource: DataSource;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Settings for this app only (restored on close). */
  env?: Record<string, string | undefined>;
  /**
   * For a second app open beside the file's first: on SQLite it gets a fresh database file
   * of its own, as the running service holds its file (SQLITE_LOCKING=exclusive); on
   * PostgreSQL it shares the file's schema.
   */
  alongside?: boolean;
  /** Extra overrides on the testing module (e.g. a provider swapped for a test). */
  customize?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * Boots the real application, through the same configureApp() as main.ts, on the
 * database chosen for this test file (test/support/env.ts).
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const saved: Record<string, string | undefined> = {};
  const env = { ...options.env };
  if (options.alongside && process.env.DATABASE_URL?.startsWith('sqlite:')) {
    env.DATABASE_URL = `${process.env.DATABASE_URL.replace(/\.sqlite$/, '')}_${randomBytes(4).toString('hex')}.sqlite`;
  }
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await ensureSchema();
  const clock = new ManualClock();
  let builder = Test.createTestingModule({ imports: [AppModule] }).overrideProvider(Clock).useValue(clock);
  if (options.customize) builder = options.customize(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication(new ExpressHttpAdapter(), { bodyParser: false, bufferLogs: true });
  configureApp(app);
  await app.init();
  const server = app.getHttpServer();
  return {
    app,
    http: () => request(server),
    clock,
    dataSource: app.get(DataSource),
    close: async () => {
      await app.close();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}

/** On PostgreSQL each test file gets a schema of its own. */
async function ensureSchema(): Promise<void> {
  const schema = process.env.DATABASE_SCHEMA;
  if (!schema || !process.env.DATABASE_URL?.startsWith('postgres')) return;
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}

/** Drops this file's PostgreSQL schema (call from afterAll, after the app closed). */
export async function dropSchema(): Promise<void> {
  const schema = process.env.DATABASE_SCHEMA;
  if (!schema || !process.env.DATABASE_URL?.startsWith('postgres')) return;
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
