import type { ObjectLiteral, EntityTarget } from 'typeorm';
import { AuditLog } from '../../src/audit/entities/audit-log.entity';
import { PendingLogin } from '../../src/auth/entities/pending-login.entity';
import { RecoveryCode } from '../../src/auth/entities/recovery-code.entity';
import { Session } from '../../src/auth/entities/session.entity';
import { User } from '../../src/auth/entities/user.entity';
import { Entitlement } from '../../src/connect/entities/entitlement.entity';
import type { TestApp } from './test-app';

/** Rows that belong to a user, by their `userId` column. */
const OWNED: [string, EntityTarget<ObjectLiteral>][] = [
  ['sessions', Session],
  ['service_entitlements', Entitlement],
  ['audit_logs', AuditLog],
  ['recovery_codes', RecoveryCode],
  ['pending_logins', PendingLogin],
];

/**
 * The database is whole: no row owned by a user that does not exist (audit rows with no
 * subject, such as LOGIN_FAILED for an unknown email, are allowed), no account without an
 * email or password hash, no email stored un-normalised or twice. Returns the problems
 * found, as readable lines (an empty list when all is well).
 */
export async function integrityProblems(t: TestApp): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, entity] of OWNED) {
    const orphans = await t.dataSource
      .getRepository(entity)
      .createQueryBuilder('x')
      .leftJoin(User, 'u', 'u.id = x.userId')
      .where('x.userId IS NOT NULL')
      .andWhere('u.id IS NULL')
      .getCount();
    if (orphans) problems.push(`${orphans} ${name} row(s) whose user does not exist`);
  }
  const users = await t.dataSource.getRepository(User).find({ select: { id: true, email: true, passwordHash: true } });
  const seen = new Set<string>();
  for (const u of users) {
    if (!u.email) problems.push(`user ${u.id} has no email`);
    else if (u.email !== u.email.trim().toLowerCase()) problems.push(`user ${u.id} has an un-normalised email`);
    else if (seen.has(u.email)) problems.push(`email ${u.email} is stored twice`);
    if (!u.passwordHash) problems.push(`user ${u.id} has no password hash`);
    if (u.email) seen.add(u.email);
  }
  return problems;
}

/** Object.prototype as it is now, to compare after an attack (prototype pollution). */
export function prototypeSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

/** What changed on Object.prototype since the snapshot, plus any of the given keys now inherited by `{}`. */
export function prototypeProblems(before: string[], keys: string[] = []): string[] {
  const now = prototypeSnapshot();
  const problems = now.filter((k) => !before.includes(k)).map((k) => `Object.prototype gained "${k}"`);
  const probe: Record<string, unknown> = {};
  for (const k of keys) if (probe[k] !== undefined && !before.includes(k)) problems.push(`{} inherits "${k}"`);
  return problems;
}

/**
 * Everything stored about one user, for "nothing changed" assertions: the user row, its
 * sessions, entitlements and recovery codes, and how many audit events it has.
 */
export async function userState(t: TestApp, userId: string): Promise<Record<string, unknown>> {
  const m = t.dataSource.manager;
  const byId = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => a.id.localeCompare(b.id));
  return {
    user: await m.getRepository(User).findOneBy({ id: userId }),
    sessions: byId(await m.getRepository(Session).findBy({ userId })),
    entitlements: byId(await m.getRepository(Entitlement).findBy({ userId })),
    recoveryCodes: await m.getRepository(RecoveryCode).countBy({ userId }),
    auditEvents: await m.getRepository(AuditLog).countBy({ userId }),
  };
}
