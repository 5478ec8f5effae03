import type { User } from './entities/user.entity';

export type Restriction = 'banned' | 'disabled';

/** An administrator's ban with an end date lapses by itself. */
export function isBanned(user: Pick<User, 'banned' | 'bannedUntil'>, nowMs: number): boolean {
  return user.banned && (!user.bannedUntil || user.bannedUntil.getTime() > nowMs);
}

/** Derived from the user's current flags on every request; banned wins over disabled. */
export function restrictionOf(user: Pick<User, 'banned' | 'bannedUntil' | 'disabled'>, nowMs: number): Restriction | null {
  if (isBanned(user, nowMs)) return 'banned';
  if (user.disabled) return 'disabled';
  return null;
}

/** An administrator's ban (as opposed to a self-imposed one) still in force. */
export function isAdminBan(user: Pick<User, 'id' | 'banned' | 'bannedUntil' | 'bannedBy'>, nowMs: number): boolean {
  return isBanned(user, nowMs) && !!user.bannedBy && user.bannedBy !== user.id;
}
