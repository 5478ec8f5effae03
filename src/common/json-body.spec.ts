import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import fc from 'fast-check';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonBodies, type JsonBodyOptions, SHORT_JSON_MAX } from './json-body';
import { jsonHasNul } from './nul-character';

/** As app.setup.ts's: an escaped NUL is refused with its own type; "VERIFY-FAIL" throws a bare Error (body-parser's 403 default). */
function verify(_req: Request, _res: Response, raw: Buffer): void {
  if (jsonHasNul(raw)) throw Object.assign(new Error('NUL character in JSON'), { status: 400, type: 'nul.character' });
  if (raw.includes('VERIFY-FAIL')) throw new Error('refused by verify');
}
const OPTIONS: JsonBodyOptions = { limit: '100kb', type: ['application/json', 'application/*+json'], verify };

interface Sent {
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
  /** The body written in two parts (two chunks on the server, most of the time). */
  split: boolean;
}

/** An app whose only middleware is `parser`, answering what it left: req.body, or the error's status and type. */
function appWith(parser: RequestHandler): express.Express {
  const app = express();
  app.use(parser);
  app.use((req: Request, res: Response) => {
    res.json({ body: 'body' in req ? (req.body as unknown) : '(no body property)' });
  });
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.json({ error: { status: err.status, type: err.type } });
  });
  return app;
}

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function post(server: Server, sent: Sent): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-length': sent.body.length };
    if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
    if (sent.contentEncoding !== undefined) headers['content-encoding'] = sent.contentEncoding;
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
    });
    req.on('error', reject);
    const cut = sent.split ? Math.floor(sent.body.length / 2) : sent.body.length;
    req.write(sent.body.subarray(0, cut));
    req.end(sent.body.subarray(cut));
  });
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength: 3 });
/** JSON texts, most of them valid, some of them what a careless or hostile client sends. */
const texts = fc.oneof(
  fc.record({ token: fc.string({ maxLength: 40 }) }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.tuple(whitespace, fc.jsonValue({ maxDepth: 2 }), whitespace).map(([a, v, b]) => `${a}${JSON.stringify(v)}${b}`),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => JSON.stringify({ token: s })),
  fc.constantFrom('{"token":"a\\u0000b"}', '{"token":"VERIFY-FAIL"}', '{', '{"a":1} x', '{"a":1}{', 'null', '"x"', '1', 'true', ' [1]', '\n{}', '', ' ', '{"__proto__":{"x":1}}'),
  fc.string({ maxLength: 20 }),
);
const bytes = fc.oneof(
  { weight: 6, arbitrary: texts.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: texts.map((t) => Buffer.concat([BOM, Buffer.from(t)])) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.tuple(texts, fc.uint8Array({ minLength: 1, maxLength: 3 })).map(([t, a]) => Buffer.concat([Buffer.from(t.slice(0, -1)), Buffer.from(a), Buffer.from(t.slice(-1))])) },
);
const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  { weight: 2, arbitrary: fc.constantFrom('application/json; charset=UTF-8', 'application/json;charset=utf-8', 'Application/JSON', 'application/ld+json', 'application/json; charset=latin1') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', undefined) },
);
const sents: fc.Arbitrary<Sent> = fc.record({
  body: bytes,
  contentType: contentTypes,
  contentEncoding: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant('identity') }),
  split: fc.boolean(),
});

describe('jsonBodies: body-parser with a short path for the common body', () => {
  let library: Server;
  let short: Server;
  let throughLibrary = 0;

  beforeAll(async () => {
    const full = express.json(OPTIONS);
    library = await listen(appWith(full));
    short = await listen(
      appWith(
        jsonBodies(OPTIONS, (req, res, next) => {
          throughLibrary++;
          full(req, res, next);
        }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all([library, short].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('answers every body as body-parser does (value passed on, or the error status and type), and takes the short path for the common ones', async () => {
    let runs = 0;
    throughLibrary = 0;
    await fc.assert(
      fc.asyncProperty(sents, async (sent) => {
        runs++;
        expect(await post(short, sent)).toBe(await post(library, sent));
      }),
      { numRuns: 400 },
    );
    // The short path was taken, often: the comparison above was not body-parser against itself.
    expect(runs - throughLibrary).toBeGreaterThan(runs / 3);
  });

  it.each<[string, Sent]>([
    ['a byte order mark alone (an empty text: {})', { body: BOM, contentType: 'application/json', split: false }],
    ['a byte order mark before an object', { body: Buffer.concat([BOM, Buffer.from('{"a":1}')]), contentType: 'application/json', split: true }],
    ['whitespace alone', { body: Buffer.from(' \n'), contentType: 'application/json', split: false }],
    ['a string at the top (strict: refused)', { body: Buffer.from('"token"'), contentType: 'application/json', split: false }],
    ['an escaped NUL (verify: nul.character)', { body: Buffer.from('{"token":"\\u0000"}'), contentType: 'application/json; charset=utf-8', split: false }],
    ['verify throwing a bare Error (403 entity.verify.failed)', { body: Buffer.from('{"token":"VERIFY-FAIL"}'), contentType: 'application/json', split: false }],
    ['bytes that are not UTF-8 inside a string', { body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), contentType: 'application/json', split: false }],
    ['the largest short body', { body: Buffer.from(JSON.stringify({ token: 'x'.repeat(SHORT_JSON_MAX - 12) })), contentType: 'application/json', split: true }],
    ['one byte over (body-parser reads it)', { body: Buffer.from(JSON.stringify({ token: 'x'.repeat(SHORT_JSON_MAX - 11) })), contentType: 'application/json', split: true }],
  ])('%s: as body-parser', async (_name, sent) => {
    expect(await post(short, sent)).toBe(await post(library, sent));
  });

  it('reads a short body that arrives in several chunks', async () => {
    throughLibrary = 0;
    const body = Buffer.from(JSON.stringify({ token: 'abc'.repeat(1000) }));
    const answer = await post(short, { body, contentType: 'application/json', split: true });
    expect(answer).toBe(`200 ${JSON.stringify({ body: { token: 'abc'.repeat(1000) } })}`);
    expect(throughLibrary).toBe(0);
  });
});
