import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { GUARDS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { ADMIN_ONLY_KEY } from '../../src/auth/decorators/admin-only.decorator';
import { ALLOW_RESTRICTED_KEY } from '../../src/auth/decorators/allow-restricted.decorator';
import { IS_PUBLIC_KEY } from '../../src/auth/decorators/public.decorator';
import { InternalSecretGuard } from '../../src/auth/guards/internal-secret.guard';
import { ReauthGuard } from '../../src/auth/guards/reauth.guard';
import type { RouteInfo } from './routes';
import type { TestApp } from './test-app';

/** What the attack, fuzz and OpenAPI suites need to know about a route, read from its metadata. */
export interface RouteTraits {
  key: string;
  method: string;
  path: string;
  /** `/api/x/{userId}`, as OpenAPI writes it. */
  openApiPath: string;
  params: string[];
  isPublic: boolean;
  /** X-Internal-Secret instead of a bearer token. */
  isInternal: boolean;
  /** Administrators only. */
  adminOnly: boolean;
  /** Open to banned or disabled accounts. */
  allowRestricted: boolean;
  /** Re-authentication (password, then TOTP) validated by its guard. */
  reauth: boolean;
  /** Takes a JSON body (a @Body() parameter, or the re-authentication body). */
  jsonBody: boolean;
  /** Takes a multipart upload. */
  upload: boolean;
  /** Polar webhooks: raw body, signature instead of a token. */
  webhook: boolean;
}

const guardsOf = (target: object): unknown[] => (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];

function paramTypes(r: RouteInfo): number[] {
  const controller = r.controller as { prototype: Record<string, unknown> };
  const name = Object.getOwnPropertyNames(controller.prototype).find((n) => controller.prototype[n] === r.handler);
  if (!name) return [];
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) as Record<string, unknown> | undefined) ?? {};
  return Object.keys(args).map((k) => Number(k.split(':')[0]));
}

export function routeTraits(t: TestApp, r: RouteInfo): RouteTraits {
  const reflector = t.app.get(Reflector);
  const targets = [r.handler as never, r.controller as never];
  const guards = [...guardsOf(r.controller), ...guardsOf(r.handler)];
  const types = paramTypes(r);
  const reauth = guards.includes(ReauthGuard);
  return {
    key: `${r.method} ${r.path}`,
    method: r.method,
    path: r.path,
    openApiPath: r.path.replace(/:(\w+)/g, '{$1}'),
    params: [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]),
    isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true,
    isInternal: guards.includes(InternalSecretGuard),
    adminOnly: reflector.getAllAndOverride<boolean>(ADMIN_ONLY_KEY, targets) === true,
    allowRestricted: reflector.getAllAndOverride<boolean>(ALLOW_RESTRICTED_KEY, targets) === true,
    reauth,
    jsonBody: reauth || types.includes(RouteParamtypes.BODY),
    upload: types.includes(RouteParamtypes.FILE) || types.includes(RouteParamtypes.FILES),
    webhook: r.path.startsWith('/api/webhooks/'),
  };
}

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  example?: unknown;
  $ref?: string;
  oneOf?: JsonSchema[];
  format?: string;
  maxLength?: number;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; parameters?: { name: string; in: string; schema?: JsonSchema; example?: unknown }[] }>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** The app's own OpenAPI document (GET /api/docs-json). */
export async function openApiDoc(t: TestApp): Promise<OpenApiDoc> {
  return (await t.http().get('/api/docs-json').expect(200)).body as OpenApiDoc;
}

function resolve(doc: OpenApiDoc, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (schema?.$ref) return doc.components.schemas[schema.$ref.split('/').pop()!];
  return schema;
}

/** The JSON request body schema of a route, $ref resolved (undefined when it takes none). */
export function bodySchema(doc: OpenApiDoc, r: RouteTraits): JsonSchema | undefined {
  const op = doc.paths[r.openApiPath]?.[r.method.toLowerCase()];
  return resolve(doc, op?.requestBody?.content?.['application/json']?.schema);
}

/** The query parameters a route documents. */
export function queryParams(doc: OpenApiDoc, r: RouteTraits): { name: string; schema?: JsonSchema; example?: unknown }[] {
  const op = doc.paths[r.openApiPath]?.[r.method.toLowerCase()];
  return (op?.parameters ?? []).filter((p) => p.in === 'query');
}

/** A body made of the documented example of every property (a plausible, usually valid, request). */
export function exampleBody(doc: OpenApiDoc, r: RouteTraits): Record<string, unknown> {
  const schema = bodySchema(doc, r);
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    const p = resolve(doc, prop);
    if (p?.example !== undefined) out[name] = p.example;
    else if (p?.enum?.length) out[name] = p.enum[0];
  }
  return out;
}
