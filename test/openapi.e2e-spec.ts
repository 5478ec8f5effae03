import SwaggerParser from '@apidevtools/swagger-parser';
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator';
import { SwaggerModule } from '@nestjs/swagger';
import type { ReadonlyVisitor as ReadonlyVisitorClass } from '@nestjs/swagger/dist/plugin';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { Messages } from '../src/common/messages';
import { routeTraits, RouteTraits } from './support/route-meta';
import { listRoutes } from './support/routes';
import { createTestApp, dropSchema, TestApp } from './support/test-app';

// The package's "exports" map names it '@nestjs/swagger/plugin'; its types live under dist/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ReadonlyVisitor } = require('@nestjs/swagger/plugin') as { ReadonlyVisitor: typeof ReadonlyVisitorClass };
const ROOT = join(__dirname, '..');
const COMMITTED = join(ROOT, 'openapi.json');

type Operation = { responses?: Record<string, unknown>; requestBody?: unknown };
type Document = { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>> };

/**
 * `nest build` runs the @nestjs/swagger CLI plugin (nest-cli.json), which adds what it reads
 * from types and class-validator decorators; ts-jest transpiles file by file and cannot run
 * it. The plugin's read-only visitor (the one Nest uses for SWC builds) produces the same
 * metadata from a TypeScript program, so the app under test serves the document production
 * serves, and the drift check compares like with like.
 */
async function loadSwaggerPluginMetadata(): Promise<void> {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('tsconfig.build.json could not be read');
  // Without outDir the generated imports name the sources (what jest loads), not dist/.
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, outDir: undefined } });
  const out = mkdtempSync(join(tmpdir(), 'nullpass-openapi-'));
  try {
    new PluginMetadataGenerator().generate({
      visitors: [
        // The options of nest-cli.json's swagger plugin.
        new ReadonlyVisitor({ introspectComments: true, classValidatorShim: true, dtoFileNameSuffix: ['.dto.ts'], pathToSource: out }),
      ],
      outputDir: out,
      filename: 'metadata.ts',
      tsProgramRef: program,
    } as unknown as Parameters<PluginMetadataGenerator['generate']>[0]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const metadata = require(join(out, 'metadata.ts')) as { default: () => Promise<Record<string, unknown>> };
    await SwaggerModule.loadPluginMetadata(metadata.default);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const withoutVersion = (doc: Document): Document => ({ ...doc, info: { ...doc.info, version: '<version>' } });

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let routes: RouteTraits[];

  beforeAll(async () => {
    await loadSwaggerPluginMetadata();
    t = await createTestApp();
    doc = (await t.http().get('/api/docs-json').expect(200)).body as Document;
    routes = listRoutes(t).map((r) => routeTraits(t, r));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await dropSchema();
  });

  const operation = (r: RouteTraits): Operation | undefined => doc.paths[r.openApiPath]?.[r.method.toLowerCase()];

  it('is a valid OpenAPI 3 document (@apidevtools/swagger-parser)', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('lists every route of the app with its method', () => {
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => !operation(r)).map((r) => r.key);
    expect(missing).toEqual([]);
  });

  it('has no operation the app does not serve', () => {
    const served = new Set(routes.map((r) => `${r.method.toLowerCase()} ${r.openApiPath}`));
    const extra = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m} ${path}`)
        .filter((k) => !served.has(k)),
    );
    expect(extra).toEqual([]);
  });

  it('documents 401 on every route that needs a token or the internal secret', () => {
    const missing = routes.filter((r) => (!r.isPublic || r.isInternal) && !operation(r)?.responses?.['401']).map((r) => r.key);
    expect(missing).toEqual([]);
  });

  it('documents 400 on every route that takes a body', () => {
    const missing = routes
      .filter((r) => r.jsonBody || r.upload || r.webhook || operation(r)?.requestBody)
      .filter((r) => !operation(r)?.responses?.['400'])
      .map((r) => r.key);
    expect(missing).toEqual([]);
  });

  it('documents 404 "User not found" on the routes that change the caller’s own row after the token check', () => {
    // each reads or locks the caller's row (readWholeUser, lockUser) or updates it, and answers 404 when a delete-account won the race
    const routesOfOwnRow = ['patch /api/auth/me', 'post /api/auth/password', 'post /api/auth/2fa', 'post /api/avatar', 'post /api/services'];
    const undocumented = routesOfOwnRow.filter((key) => {
      const [method, path] = key.split(' ');
      return !JSON.stringify(doc.paths[path]?.[method]?.responses?.['404'] ?? null).includes(Messages.userNotFound);
    });
    expect(undocumented).toEqual([]);
  });

  it('documents every error response with a body of the contract’s shape', async () => {
    const deref = (await SwaggerParser.dereference(structuredClone(doc) as never)) as unknown as Document;
    const wrong: string[] = [];
    for (const [path, ops] of Object.entries(deref.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          if (Number(status) < 400) continue;
          const schema = (response as { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }).content?.[
            'application/json'
          ]?.schema;
          // {"error": "..."} everywhere; the webhooks' documented exception is {received:false}.
          const ok = !!schema?.properties?.error || (path.startsWith('/api/webhooks/') && status === '403' && !!schema?.properties?.received);
          if (!ok) wrong.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('equals the committed openapi.json (run `npm run openapi` after an API change)', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as Document;
    expect(withoutVersion(doc)).toEqual(withoutVersion(committed));
  });
});
