import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** What express.json() takes here: the same options go to body-parser and shape the short path. */
export interface JsonBodyOptions {
  limit: string;
  type: string[];
  /** Called with the raw bytes before they are parsed; throwing refuses the body (as body-parser's `verify`). */
  verify: (req: Request, res: Response, raw: Buffer) => void;
}

/** The Content-Types the short path reads: the ones body-parser reads as UTF-8 without a question of charset. */
const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8']);
/** Bodies of up to this many bytes take the short path (a token check's is ~300). */
export const SHORT_JSON_MAX = 16 * 1024;
const CONTENT_LENGTH = /^[1-9][0-9]{0,4}$/;
const FIRST_NON_WHITESPACE = /^[ \t\n\r]*([^ \t\n\r]|$)/;

/**
 * An error as body-parser hands it on (http-errors keeps an error's own status and type): bodyParserErrors
 * (app.setup.ts) reads its `status` and `type`. `type` is left out where body-parser gives none (a stream error).
 */
function bodyError(error: unknown, status: number, type?: string): Error & { status: number; type?: string } {
  const e = (error instanceof Error ? error : new Error(String(error))) as Error & { status?: number; statusCode?: number; type?: string };
  return Object.assign(e, { status: e.status ?? e.statusCode ?? status, type: e.type ?? type });
}

/**
 * express.json() (body-parser), with a short path for the common body: a small request whose
 * headers alone say body-parser would read it as plain UTF-8 JSON. That is Content-Type exactly
 * `application/json` or `application/json; charset=utf-8`, no Content-Encoding, no
 * Transfer-Encoding, and a Content-Length of 1 to SHORT_JSON_MAX bytes (far under `limit`). The
 * choice is made before a byte is read, since a body once read cannot be handed back; every other
 * request goes to body-parser.
 *
 * The short path does for such a request what body-parser does, without its per-request machinery
 * (type-is and content-type parsing the header again, raw-body's five listeners, an iconv-lite
 * decoder): the bytes go to `verify`, are decoded as UTF-8 with a leading byte order mark dropped
 * (as iconv-lite drops it), an empty text is `{}`, body-parser's strict rule holds (the first
 * character after whitespace must be `{` or `[`), and JSON.parse reads the rest. Its errors carry
 * body-parser's status and type. json-body.spec.ts holds the two paths' outcomes equal over
 * generated bodies. On a token check, body-parser was ~10 % of the app's CPU (bench/README.md,
 * "seventeenth pass").
 */
export function jsonBodies(options: JsonBodyOptions, full: RequestHandler = express.json(options)): RequestHandler {
  const { verify } = options;
  return function jsonBody(req: Request, res: Response, next: NextFunction): void {
    const headers = req.headers;
    const type = headers['content-type'];
    const length = headers['content-length'];
    if (
      type === undefined ||
      !PLAIN_JSON.has(type) ||
      length === undefined ||
      !CONTENT_LENGTH.test(length) ||
      Number(length) > SHORT_JSON_MAX ||
      headers['content-encoding'] !== undefined ||
      headers['transfer-encoding'] !== undefined ||
      !req.readable
    ) {
      full(req, res, next);
      return;
    }
    readShort(req, res, next, Number(length), verify);
  };
}

function readShort(req: Request, res: Response, next: NextFunction, expected: number, verify: JsonBodyOptions['verify']): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const finish = (error: Error | null): void => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onError);
    if (error) {
      next(error);
      return;
    }
    parseShort(req, res, next, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received), verify);
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    finish(received === expected ? null : bodyError(new Error('request size did not match content length'), 400, 'request.size.invalid'));
  };
  const onAborted = (): void => finish(bodyError(new Error('request aborted'), 400, 'request.aborted'));
  // raw-body passes a stream's error on as it is, and body-parser makes it a 400 without a type.
  const onError = (error: Error): void => finish(bodyError(error, 400));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onError);
}

function parseShort(req: Request, res: Response, next: NextFunction, raw: Buffer, verify: JsonBodyOptions['verify']): void {
  try {
    verify(req, res, raw);
  } catch (error) {
    next(bodyError(error, 403, 'entity.verify.failed'));
    return;
  }
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    req.body = text.length === 0 ? {} : strictJson(text);
  } catch (error) {
    next(bodyError(error, 400, 'entity.parse.failed'));
    return;
  }
  next();
}

/** body-parser's strict mode: only an object or an array at the top. */
function strictJson(text: string): unknown {
  if (text[0] !== '{' && text[0] !== '[') {
    const first = FIRST_NON_WHITESPACE.exec(text)?.[1];
    if (first !== '{' && first !== '[') throw new SyntaxError(`Unexpected token ${first ?? ''} in JSON`);
  }
  return JSON.parse(text);
}
