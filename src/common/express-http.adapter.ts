import { type NestApplicationOptions, StreamableFile } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { JsonText } from './json-text';

/** The one Content-Type of every JSON answer, as Express's res.json() ends up writing it. */
const JSON_UTF8 = 'application/json; charset=utf-8';

/**
 * Nest's Express adapter, with two differences. The HTTP server builds each request and
 * response on Express's own prototypes (`app.request`, `app.response`) from the start.
 *
 * Express 5 re-parents every request and response (`Object.setPrototypeOf(req,
 * app.request)` in `app.handle`). In V8 that turns the request's objects into survivors:
 * on this machine a bare Express 5 app promoted ~3 MB to the old generation per scavenge
 * (each scavenge pausing 6–8 ms) and served 5.6–7.1 k req/s; with the prototypes preset,
 * 1.7 kB per scavenge, 0.5 ms pauses and 16.7–16.9 k req/s (bench/README.md, "fourth
 * pass"). Express's own `setPrototypeOf` then finds the prototype already in place and
 * changes nothing. Node's `http.createServer` has taken these two classes as options
 * since 15; HTTPS (httpsOptions) keeps Nest's default server.
 */
export class ExpressHttpAdapter extends ExpressAdapter {
  /**
   * A handler's object answer, as Nest's reply() sends it (res.json), but serialized once to
   * bytes under a preset Content-Type: res.json() passed a string to res.send(), which
   * parsed and re-formatted the Content-Type to add the charset, and measured the string's
   * UTF-8 length before encoding it again to write it (bench/README.md, "tenth pass").
   * res.send() still sets Content-Length and handles HEAD, 204 and 304. Everything else
   * (files, errors, no body, a Content-Type the handler chose) goes to Nest's own reply().
   * A JsonText is already JSON: its text is sent as it is (under a handler's own Content-Type,
   * Nest's reply() serializes it as its value).
   */
  override reply(response: Response, body: unknown, statusCode?: number): unknown {
    if (typeof body !== 'object' || body === null || body instanceof StreamableFile || body instanceof Error || ArrayBuffer.isView(body) || response.getHeader('Content-Type') !== undefined) {
      return super.reply(response, body, statusCode);
    }
    if (statusCode) response.status(statusCode);
    response.setHeader('Content-Type', JSON_UTF8);
    return response.send(Buffer.from(body instanceof JsonText ? body.text : JSON.stringify(body)));
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options?.httpsOptions) {
      super.initHttpServer(options);
      return;
    }
    const app = this.getInstance<Express>();
    this.httpServer = createServer(
      { IncomingMessage: constructorOn(IncomingMessage, app.request), ServerResponse: constructorOn(ServerResponse, app.response) },
      app,
    );
    if (options?.forceCloseConnections) {
      // The parent's connection tracking, which a server of our own needs as much.
      (this as unknown as { trackOpenConnections(): void }).trackOpenConnections();
    }
  }
}

/**
 * A constructor node:http can use in place of `base` (IncomingMessage, ServerResponse): it
 * initialises the object as `base` does, on `prototype` (which inherits from `base`'s).
 */
function constructorOn<T extends typeof IncomingMessage | typeof ServerResponse>(base: T, prototype: object): T {
  function Built(this: object, ...args: unknown[]): void {
    (base as unknown as (...a: unknown[]) => void).apply(this, args);
  }
  Built.prototype = prototype;
  return Built as unknown as T;
}
