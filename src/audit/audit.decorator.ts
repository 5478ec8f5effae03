import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { AuditAction } from './audit-actions';
import { AuditInterceptor } from './audit.interceptor';

export const AUDIT_ACTION_KEY = 'nullpass:audit-action';

/**
 * Declares the audit event of a route. The AuditInterceptor (applied here, on this route
 * only) records it only when the handler succeeds, in the same transaction as the
 * handler's writes.
 */
export const Audit = (action: AuditAction) => applyDecorators(SetMetadata(AUDIT_ACTION_KEY, action), UseInterceptors(AuditInterceptor));
