import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const INTERNAL_SECRET_SCHEME = 'internal-secret';

/** package.json is one level up from src/ and two from dist/src/. */
function version(): string {
  for (const candidate of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nullpass' && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return '0.0.0';
}

export const APP_VERSION = version();

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('NullPass API')
    .setDescription(
      [
        'Accounts and authentication shared by DROP, MAILS, VAULT and DB.',
        '',
        'Every error body is `{"error": "<message>"}` (validation errors add `details`).',
        'Any route may answer `503 {"error": "Service temporarily unavailable"}` when the database does not answer,',
        'or when PostgreSQL aborted its change for a conflict with another (a deadlock; then with `Retry-After: 1`):',
        'nothing of the request was written, and the same request can be sent again.',
        'Authenticate with `Authorization: Bearer <token>` from register, login or login/2fa:',
        'use the **Authorize** button with the token alone.',
        'Sibling services call internal routes with `X-Internal-Secret`; the gateway must strip',
        'that header from outside requests.',
      ].join('\n'),
    )
    .setVersion(APP_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Internal-Secret' }, INTERNAL_SECRET_SCHEME)
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    yamlDocumentUrl: 'api/docs-yaml',
    customSiteTitle: 'NullPass API',
    swaggerOptions: { persistAuthorization: true },
  });
}
