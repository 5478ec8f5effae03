import { randomBytes } from 'node:crypto';
import { IsNull } from 'typeorm';
import type { AuditAction } from '../../src/audit/audit-actions';
import { AuditLog } from '../../src/audit/entities/audit-log.entity';
import * as speakeasy from 'speakeasy';
import type { TestApp } from './test-app';

export interface GivenUser {
  id: string;
  email: string;
  password: string;
  token: string;
  /** Base32 TOTP secret, when 2FA was enabled. */
  secret?: string;
  /** The code that confirmed 2FA: its step is spent, so it is a replay from then on. */
  spentCode?: string;
  recoveryCodes?: string[];
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
}

/** The code an authenticator app shows now, by the app's (manual) clock. */
export function totpCode(t: TestApp, secret: string): string {
  return speakeasy.totp({ secret, encoding: 'base32', time: Math.floor(t.clock.nowMs() / 1000) });
}

/** Moves to the next 30 s step and returns its code (a code is accepted once). */
export function nextTotpCode(t: TestApp, secret: string): string {
  t.clock.advance(30_000);
  return totpCode(t, secret);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A registered user, built through the public API (house style: given-helpers). */
export async function givenUser(
  t: TestApp,
  options: { email?: string; password?: string; displayName?: string; twoFactor?: boolean } = {},
): Promise<GivenUser> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? 'correct horse battery';
  const reg = await t
    .http()
    .post('/api/auth/register')
    .send({ email, password, ...(options.displayName ? { displayName: options.displayName } : {}) })
    .expect(201);
  const user: GivenUser = { id: reg.body.user.id, email: reg.body.user.email, password, token: reg.body.token };
  if (options.twoFactor) {
    const setup = await t.http().post('/api/auth/2fa').set(bearer(user.token)).send({ enable: true }).expect(200);
    user.secret = setup.body.secret as string;
    user.spentCode = nextTotpCode(t, user.secret);
    const enabled = await t
      .http()
      .post('/api/auth/2fa')
      .set(bearer(user.token))
      .send({ enable: true, password, verificationCode: user.spentCode })
      .expect(200);
    user.recoveryCodes = enabled.body.recoveryCodes as string[];
  }
  return user;
}

/** The audit events stored for a subject (null: events with no subject), oldest first, optionally one action. */
export function auditEvents(t: TestApp, userId: string | null, action?: AuditAction | string): Promise<AuditLog[]> {
  const subject = userId === null ? IsNull() : userId;
  return t.dataSource.getRepository(AuditLog).find({
    where: action ? { userId: subject, action: action as AuditAction } : { userId: subject },
    order: { createdAt: 'ASC' },
  });
}
