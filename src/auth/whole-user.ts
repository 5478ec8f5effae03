import { NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Messages } from '../common/messages';
import { User } from './entities/user.entity';

/**
 * The user's whole row, secrets included (USER_SECRET_PROPERTIES), read for the one step
 * that checks a password or a second factor: the token check leaves them out. An account
 * deleted since the token check answers seed 003's 404 "User not found".
 */
export async function readWholeUser(manager: EntityManager, id: string): Promise<User> {
  const user = await manager.getRepository(User).findOneBy({ id });
  if (!user) throw new NotFoundException(Messages.userNotFound);
  return user;
}
