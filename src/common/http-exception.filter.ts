import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Messages } from './messages';

export interface ErrorBody {
  error: string;
  details?: { field: string; message: string }[];
}

const STATUS_TEXT: Record<number, string> = {
  [HttpStatus.TOO_MANY_REQUESTS]: Messages.tooManyRequests,
  [HttpStatus.NOT_FOUND]: Messages.notFound,
  [HttpStatus.UNAUTHORIZED]: Messages.unauthorized,
  [HttpStatus.FORBIDDEN]: Messages.forbidden,
  [HttpStatus.PAYLOAD_TOO_LARGE]: Messages.payloadTooLarge,
};

/** Errors a database driver raises when the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e || typeof e !== 'object') return false;
  const codes = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', 'SQLITE_BUSY'];
  if (e.code && codes.includes(e.code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|database system is (starting|shutting) up/i.test(
    e.message ?? '',
  );
}

/**
 * The one place every error response is shaped: `{"error": "<one human message>"}`
 * (plus `details` for validation). Unexpected errors are logged with the request id
 * and answered 500 with no detail.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    if (res.headersSent) return;
    const [status, body] = this.describe(exception, req);
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    res.status(status).json(body);
  }

  private describe(exception: unknown, req: Request & { id?: string }): [number, ErrorBody] {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return [status, { ...toBody(exception.getResponse(), status) }];
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ reqId: req.id, err: describeError(exception) }, 'database unavailable');
      return [HttpStatus.SERVICE_UNAVAILABLE, { error: Messages.serviceUnavailable }];
    }
    this.logger.error({ reqId: req.id, err: describeError(exception) }, 'unhandled error');
    return [HttpStatus.INTERNAL_SERVER_ERROR, { error: Messages.internalError }];
  }
}

function describeError(error: unknown): { name?: string; message?: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { message: String(error) };
}

export function toBody(response: string | object, status: number): ErrorBody {
  if (status === HttpStatus.TOO_MANY_REQUESTS) return { error: Messages.tooManyRequests };
  if (typeof response === 'string') return { error: response };
  const r = response as { error?: unknown; message?: unknown; details?: ErrorBody['details'] };
  // Bodies built by us already carry `error` (and maybe `details`).
  if (typeof r.error === 'string' && r.message === undefined) {
    return r.details ? { error: r.error, details: r.details } : { error: r.error };
  }
  if (typeof r.message === 'string') {
    if (status === HttpStatus.NOT_FOUND && /^Cannot [A-Z]+ /.test(r.message)) return { error: Messages.notFound };
    return { error: r.message };
  }
  if (Array.isArray(r.message) && typeof r.message[0] === 'string') return { error: r.message[0] };
  return { error: STATUS_TEXT[status] ?? (status >= 500 ? Messages.internalError : 'Bad Request') };
}
