import type { EntitlementDto } from '../connect/dto/entitlement.dto';
import type { LoginUserDto, MeDto, PartialUserDto, ProfileDto, RegisteredUserDto } from './dto/auth-responses.dto';
import type { SessionUser } from './entities/user.entity';
import { isBanned } from './restriction';

/**
 * Explicit mappers from the user row to each response: a column (password hash, 2FA
 * secret, payment ids) can only leave the service if a mapper names it.
 */
export function mapRegisteredUser(u: SessionUser): RegisteredUserDto {
  return { id: u.id, email: u.email, displayName: u.displayName, createdAt: u.createdAt.toISOString() };
}

export function mapPartialUser(u: SessionUser): PartialUserDto {
  return { id: u.id, email: u.email, displayName: u.displayName, avatar: u.avatar };
}

// Each shape extends the one before by adding to a fresh object (not `{ ...base, more }`,
// which Node 20's V8 builds ~60 times slower: see the no-restricted-syntax rule in eslint.config.mjs).
export function mapLoginUser(u: SessionUser): LoginUserDto {
  return Object.assign(mapRegisteredUser(u), { avatar: u.avatar, twoFactorEnabled: u.twoFactorEnabled });
}

export function mapProfile(u: SessionUser): ProfileDto {
  return Object.assign(mapLoginUser(u), { updatedAt: u.updatedAt.toISOString() });
}

export function mapMe(u: SessionUser, entitlements: EntitlementDto[], recoveryCodesRemaining: number, nowMs: number): MeDto {
  return Object.assign(mapProfile(u), {
    banned: isBanned(u, nowMs),
    disabled: u.disabled,
    recoveryCodesRemaining,
    serviceAccess: entitlements,
  });
}
