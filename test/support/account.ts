import { In } from 'typeorm';
import { AuditLog } from '../../src/audit/entities/audit-log.entity';
import { User } from '../../src/auth/entities/user.entity';
import { CancellationOutbox } from '../../src/billing/entities/cancellation-outbox.entity';
import type { ServiceName } from '../../src/common/services';
import { Entitlement } from '../../src/connect/entities/entitlement.entity';
import { bearer, type GivenUser, nextTotpCode, auditEvents } from './given';
import type { TestApp } from './test-app';

/** The five re-authenticated account routes of seeds 001-003. */
export type AccountRoute = { method: 'post' | 'delete'; path: string };
export const DISABLE: AccountRoute = { method: 'post', path: '/api/auth/disable-account' };
export const ENABLE: AccountRoute = { method: 'delete', path: '/api/auth/disable-account' };
export const BAN: AccountRoute = { method: 'post', path: '/api/auth/ban-account' };
export const UNBAN: AccountRoute = { method: 'delete', path: '/api/auth/ban-account' };
export const DELETE_ACCOUNT: AccountRoute = { method: 'post', path: '/api/auth/delete-account' };

export const routeName = (r: AccountRoute) => `${r.method.toUpperCase()} ${r.path}`;

/** Calls an account route with a token and a body (the seeds' `{password, verificationCode?}`). */
export function callAccount(t: TestApp, route: AccountRoute, token: string | null, body?: unknown) {
  const req = t.http()[route.method](route.path);
  if (token) req.set(bearer(token));
  return body === undefined ? req : req.send(body as object);
}

/** The body that re-authenticates this user now (with the next TOTP code when 2FA is on). */
export function reauthBody(t: TestApp, user: GivenUser): { password: string; verificationCode?: string } {
  return user.secret ? { password: user.password, verificationCode: nextTotpCode(t, user.secret) } : { password: user.password };
}

export function userRow(t: TestApp, id: string): Promise<User | null> {
  return t.dataSource.getRepository(User).findOneBy({ id });
}

/** The audit trail as stored (a restricted account cannot read GET /api/audit). */
export function auditRows(t: TestApp, userId: string): Promise<AuditLog[]> {
  return auditEvents(t, userId);
}

export async function auditActions(t: TestApp, userId: string): Promise<string[]> {
  return (await auditRows(t, userId)).map((r) => r.action);
}

/**
 * Gives the user a Polar subscription on one service. Storage setup on purpose: the
 * billing webhooks that normally write this are being built elsewhere, and the account
 * routes only read the subscription id.
 */
export async function givenSubscription(t: TestApp, userId: string, service: ServiceName, subscriptionId: string): Promise<void> {
  const repo = t.dataSource.getRepository(Entitlement);
  const now = t.clock.now();
  await repo.insert(
    repo.create({
      userId,
      service,
      tier: 'premium',
      isPremium: true,
      connected: true,
      polarSubscriptionId: subscriptionId,
      polarSubscriptionStatus: 'active',
      createdAt: now,
      updatedAt: now,
    }),
  );
}

/**
 * An administrator's ban, written to the row as POST /api/admin/users/:id/ban does
 * (storage setup: the admin routes are another module's).
 */
export async function givenAdminBan(t: TestApp, userId: string, adminId: string, until: Date | null = null): Promise<void> {
  await t.dataSource.getRepository(User).update(
    { id: userId },
    { banned: true, bannedBy: adminId, banReason: 'Terms of service', bannedAt: t.clock.now(), bannedUntil: until },
  );
}

export function outboxFor(t: TestApp, subscriptionIds: string[]): Promise<CancellationOutbox[]> {
  return t.dataSource.getRepository(CancellationOutbox).find({ where: { subscriptionId: In(subscriptionIds) } });
}

let subscriptionCounter = 0;
export function uniqueSubscriptionId(): string {
  subscriptionCounter += 1;
  return `sub_${Date.now().toString(36)}_${subscriptionCounter}`;
}

/** Real image headers (tiny complete files where that is easy), judged by their bytes. */
export const IMAGES = {
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
  gif: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'),
  webp: Buffer.from('UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA=', 'base64'),
  jpg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0', 'latin1'), Buffer.alloc(32, 1), Buffer.from([0xff, 0xd9])]),
};

/** A PNG of exactly `size` bytes (a PNG signature followed by padding). */
export function pngOfSize(size: number): Buffer {
  const buf = Buffer.alloc(size, 0x20);
  IMAGES.png.copy(buf, 0, 0, Math.min(IMAGES.png.length, size));
  return buf;
}
