import 'reflect-metadata';
import './config/load-env';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigError } from './config/configuration';
import { buildOpenApiDocument } from './openapi';

/** The committed document lives at the repository root (dist/src/openapi.cli.js → ../../). */
const OPENAPI_FILE = join(__dirname, '..', '..', 'openapi.json');

/** Objects with their keys sorted, recursively (arrays keep their order): stable diffs in review. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/**
 * `npm run openapi`: writes the OpenAPI document of the real AppModule to openapi.json
 * (as Immich does), so every API change shows in review; test/openapi.e2e-spec.ts fails
 * when the running app's document differs from the committed one.
 */
async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false, bodyParser: false });
  try {
    configureApp(app);
    const document = buildOpenApiDocument(app);
    writeFileSync(OPENAPI_FILE, `${JSON.stringify(sortKeys(document), null, 2)}\n`);
    console.log(`Wrote ${OPENAPI_FILE} (${Object.keys(document.paths).length} paths)`);
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `openapi failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
