import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';

/**
 * Nest's Express adapter, with one difference: the HTTP server builds each request and
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
