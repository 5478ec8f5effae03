import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

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
      { IncomingMessage: requestClassFor(app), ServerResponse: responseClassFor(app) },
      app,
    );
    if (options?.forceCloseConnections) {
      // The parent's connection tracking, which a server of our own needs as much.
      (this as unknown as { trackOpenConnections(): void }).trackOpenConnections();
    }
  }
}

/** A constructor for node:http whose instances have `app.request` as their prototype. */
function requestClassFor(app: Express): typeof IncomingMessage {
  function ExpressRequest(this: IncomingMessage, socket: Socket): void {
    IncomingMessage.call(this, socket);
  }
  ExpressRequest.prototype = app.request;
  return ExpressRequest as unknown as typeof IncomingMessage;
}

/** The same for responses: `app.response` as the prototype. */
function responseClassFor(app: Express): typeof ServerResponse {
  function ExpressResponse(this: ServerResponse, req: IncomingMessage, options?: unknown): void {
    (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: unknown) => void).call(this, req, options);
  }
  ExpressResponse.prototype = app.response;
  return ExpressResponse as unknown as typeof ServerResponse;
}
