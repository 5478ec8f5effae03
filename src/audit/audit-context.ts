import { Injectable } from '@nestjs/common';
import { AsyncScope } from '../common/async-scope';
import type { AuditAction } from './audit-actions';

export interface AuditEntry {
  action: AuditAction;
  /** The subject: whose log shows the event. */
  userId: string | null;
  /** Who did it: the user, an administrator, or null for billing and internal calls. */
  actorId: string | null;
  data: Record<string, unknown>;
}

export interface PendingAudit {
  primary: AuditEntry | null;
  extra: AuditEntry[];
  skipped: boolean;
  written: boolean;
}

/**
 * What a handler may say about its route's audit event: add data, name the subject
 * (register and login know the user only once they ran), add a second event, or skip
 * the event (the 2FA-pending answer writes none). The event itself is declared on the
 * route with @Audit and written by the interceptor, in the handler's transaction.
 *
 * The pending event travels with the handler's async call chain (an AsyncScope), entered
 * by the interceptor only on audited routes: reads carry nothing, and pay for nothing.
 */
@Injectable()
export class AuditContext {
  private readonly scope = new AsyncScope<PendingAudit>();

  /** Runs `fn` with `pending` as the event of its async call chain, until its promise settles. */
  run<T>(pending: PendingAudit, fn: () => Promise<T>): Promise<T> {
    return this.scope.run(pending, fn);
  }

  /** Starts `fn` (the handler's subscription) with `pending` as its event; the returned function ends that. */
  open(pending: PendingAudit, fn: () => void): () => void {
    return this.scope.open(pending, fn);
  }

  /** The request's pending event, or undefined outside an audited route. */
  get pending(): PendingAudit | undefined {
    return this.scope.current;
  }

  /** Adds fields to the route's event data. */
  add(data: Record<string, unknown>): void {
    const p = this.pending;
    if (p?.primary) Object.assign(p.primary.data, data);
  }

  /** Sets the subject (and, unless given, the actor) of the route's event. */
  subject(userId: string, actorId: string | null = userId): void {
    const p = this.pending;
    if (p?.primary) {
      p.primary.userId = userId;
      p.primary.actorId = actorId;
    }
  }

  /** Replaces the route's declared action (e.g. SERVICE_TIER_CHANGE instead of a grant). */
  action(action: AuditAction): void {
    const p = this.pending;
    if (p?.primary) p.primary.action = action;
  }

  /** A second event written with the first (login: SESSION_CREATE). */
  also(action: AuditAction, data: Record<string, unknown> = {}, userId?: string): void {
    const p = this.pending;
    if (!p) return;
    const subject = userId ?? p.primary?.userId ?? null;
    p.extra.push({ action, userId: subject, actorId: p.primary?.actorId ?? subject, data });
  }

  skip(): void {
    const p = this.pending;
    if (p) p.skipped = true;
  }
}
