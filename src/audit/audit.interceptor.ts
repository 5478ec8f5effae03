import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, Observable, Subscription } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/auth-request';
import type { AuditAction } from './audit-actions';
import { AUDIT_ACTION_KEY } from './audit.decorator';
import { AuditContext } from './audit-context';
import { AuditService } from './audit.service';

/**
 * Records the route's @Audit event when, and only when, the handler succeeded. If the
 * handler opened a transaction the event was already written inside it (UnitOfWork
 * hook); otherwise it is written here, after success.
 *
 * It runs only on routes that declare @Audit (the decorator applies it), and it opens
 * the request's audit context itself: reads pay for neither.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    private readonly auditContext: AuditContext,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.reflector.get<AuditAction | undefined>(AUDIT_ACTION_KEY, context.getHandler());
    if (!action) return next.handle();
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return new Observable((subscriber) => {
      let inner: Subscription | undefined;
      // The handler runs when subscribed: inside this context, with its audit event, which
      // ends with the subscription (complete, error or unsubscribe).
      const close = this.auditContext.open(this.audit.begin(action, req.user?.id ?? null), () => {
        inner = next
          .handle()
          .pipe(mergeMap((result) => from(this.audit.flushAfterHandler().then(() => result))))
          .subscribe(subscriber);
      });
      return () => {
        inner?.unsubscribe();
        close();
      };
    });
  }
}
