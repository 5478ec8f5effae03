import { INestApplication } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { Logger } from 'nestjs-pino';
import { appConfig } from './config/configuration';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { Messages } from './common/messages';
import { jsonBodies } from './common/json-body';
import { jsonHasNul, urlHasNul } from './common/nul-character';
import { createValidationPipe } from './common/validation.pipe';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { setupOpenApi } from './openapi';

export const API_PREFIX = 'api';
export const JSON_LIMIT = '100kb';
/** Webhook bodies are kept raw: the signature is computed over the exact bytes. */
export const WEBHOOK_PATH = `/${API_PREFIX}/webhooks`;
export const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Everything that makes the HTTP pipeline: main.ts and every e2e test call this, so
 * the tests exercise exactly what production runs.
 * The app must be created with `{ bodyParser: false, bufferLogs: true }`.
 */
export function configureApp(app: INestApplication): INestApplication {
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const http = app as NestExpressApplication;

  app.useLogger(app.get(Logger));
  http.disable('x-powered-by');
  http.set('etag', false);
  // The client IP is the socket's, or X-Forwarded-For only from TRUST_PROXY (flaw 11).
  http.set('trust proxy', config.trustProxy);

  const metrics = app.get(HttpMetricsMiddleware);
  app.use(metrics.use.bind(metrics));

  app.use(
    helmet({
      // Swagger UI needs inline styles and data: images; nothing else is loosened.
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'https:'],
        },
      },
      crossOriginResourcePolicy: { policy: 'same-site' },
    }),
  );

  app.use(requestBasics);

  const allowed = new Set(config.allowedOrigins);
  app.enableCors({
    origin: (origin: string | undefined, callback: (err: Error | null, allow?: boolean) => void) =>
      callback(null, origin !== undefined && allowed.has(origin)),
    methods: CORS_METHODS,
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Accept'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });

  app.use(WEBHOOK_PATH, express.raw({ type: () => true, limit: '1mb' }));
  app.use(jsonBodies({ limit: JSON_LIMIT, type: ['application/json', 'application/*+json'], verify: refuseNulInJson }));
  app.use(bodyParserErrors);
  app.use(checkParsedInput);

  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  setupOpenApi(app);
  return app;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First for every request: a URL with a NUL character is refused; then what every answer
 * carries: the request id (the gateway's X-Request-Id if sane, else a
 * new one), echoed back and carried by every log line; and Cache-Control: no-store, as
 * answers hold tokens and personal data (ASVS V8.2.1; avatar images set their own).
 */
function requestBasics(req: Request, res: Response, next: NextFunction): void {
  if (urlHasNul(req.url)) {
    res.status(400).json({ error: Messages.nulCharacter });
    return;
  }
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  (req as Request & { id?: string }).id = id;
  res.setHeader('X-Request-Id', id);
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** NUL characters are refused once, here, for every JSON body (and in requestBasics, every URL). */
function refuseNulInJson(_req: unknown, _res: unknown, raw: Buffer): void {
  if (jsonHasNul(raw)) throw Object.assign(new Error('NUL character in JSON'), { status: 400, type: 'nul.character' });
}


/** Body-parser failures happen before Nest's filters; shape them the same way. */
function bodyParserErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (!err) {
    next();
    return;
  }
  const e = err as { type?: string; status?: number };
  if (e.type === 'entity.too.large' || e.status === 413) {
    res.status(413).json({ error: Messages.payloadTooLarge });
    return;
  }
  if (e.type === 'nul.character') {
    res.status(400).json({ error: Messages.nulCharacter });
    return;
  }
  if (e.type === 'entity.parse.failed') {
    res.status(400).json({ error: Messages.malformedJson });
    return;
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    res.status(e.status).json({ error: 'Bad Request' });
    return;
  }
  next(err);
}

/**
 * `__proto__`, `constructor` and `prototype` name an object's prototype, never data. The
 * validation pipe cannot see them (class-transformer drops them silently, so they were
 * accepted as if absent); they are refused as unknown fields, at any depth of the JSON
 * body or query (ASVS V5.1.4, prototype pollution). Webhook bodies stay raw bytes.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function prototypeKeyIn(value: unknown, path: string, depth: number): string | null {
  if (depth > 32 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) return field;
    const found = prototypeKeyIn((value as Record<string, unknown>)[key], field, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * After parsing: prototype keys are refused (above), and a POST without a JSON body
 * validates as {} (clear field errors, not "an unknown value was passed").
 */
function checkParsedInput(req: Request, res: Response, next: NextFunction): void {
  // Express 5 parses the query string again on every read of req.query: it is read here
  // only when there is one, and this parse is what the handler's @Query() then reads.
  let query: unknown;
  if (req.url.includes('?')) {
    query = req.query;
    Object.defineProperty(req, 'query', { value: query, writable: true, enumerable: true, configurable: true });
  }
  const field = prototypeKeyIn(req.body, '', 0) ?? (query === undefined ? null : prototypeKeyIn(query, '', 0));
  if (!field) {
    if (req.body === undefined) req.body = {};
    next();
    return;
  }
  const message = `property ${field} should not exist`;
  res.status(400).json({ error: message, details: [{ field, message }] });
}
