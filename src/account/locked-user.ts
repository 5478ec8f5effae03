import { NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { User } from '../auth/entities/user.entity';
import { Messages } from '../common/messages';

/**
 * Reads the user row for a change, inside the caller's transaction. On PostgreSQL the
 * row is locked (`FOR UPDATE`), so a concurrent disable, ban or delete of the same
 * account waits and then sees the result; SQLite serialises whole transactions, so the
 * plain read is already exclusive there. A vanished account (a concurrent delete)
 * answers 404 "User not found", as seed 003 does.
 */
export async function lockUser(manager: EntityManager, userId: string): Promise<User> {
  const user = await findLockedUser(manager, userId);
  if (!user) throw new NotFoundException(Messages.userNotFound);
  return user;
}

/**
 * lockUser's read, for callers to whom a vanished account is not an error.
 *
 * Every transaction that writes a user's entitlements takes this lock first: the
 * entitlement triggers lock the same row afterwards (migration UserEntitlementsJson), so
 * a writer that changed an entitlement before locking its user could wait on another
 * that holds the user and waits for that entitlement (a deadlock).
 */
export function findLockedUser(manager: EntityManager, userId: string): Promise<User | null> {
  const query = manager.getRepository(User).createQueryBuilder('u').where('u.id = :userId', { userId });
  if (manager.connection.options.type === 'postgres') query.setLock('pessimistic_write');
  return query.getOne();
}
