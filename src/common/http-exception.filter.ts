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
 * PostgreSQL aborted the transaction for a conflict with another one: a deadlock (40P01),
 * a serialization failure (40001) or a lock it could not take (55P03). The change rolled back
 * whole; the same request can succeed a moment later.
 */
export function isTransactionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === '55P03';
}

/** Retry-After (seconds) of the answer to a transaction aborted by a conflict. */
export const CONFLICT_RETRY_AFTER_SECONDS = 1;

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
    const [status, body, retryAfter] = this.describe(exception, req);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(status).json(body);
  }

  /** The status, the body and, for a condition that passes, Retry-After in seconds. */
  private describe(exception: unknown, req: Request & { id?: string }): [number, ErrorBody, number?] {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      return [status, { ...toBody(exception.getResponse(), status) }, typeof retryAfter === 'number' ? retryAfter : undefined];
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ reqId: req.id, err: describeError(exception) }, 'database unavailable');
      return [HttpStatus.SERVICE_UNAVAILABLE, { error: Messages.serviceUnavailable }];
    }
    if (isTransactionConflict(exception)) {
      this.logger.warn({ reqId: req.id, err: describeError(exception) }, 'transaction aborted by a conflict');
      return [HttpStatus.SERVICE_UNAVAILABLE, { error: Messages.serviceUnavailable }, CONFLICT_RETRY_AFTER_SECONDS];
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
