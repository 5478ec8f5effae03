import { toEntitlementDto } from '../connect/dto/entitlement.dto';
import type { Entitlement } from '../connect/entities/entitlement.entity';
import type { LoginUserDto, MeDto, PartialUserDto, ProfileDto, RegisteredUserDto } from './dto/auth-responses.dto';
import type { User } from './entities/user.entity';
import { isBanned } from './restriction';

/**
 * Explicit mappers from the user row to each response: a column (password hash, 2FA
 * secret, payment ids) can only leave the service if a mapper names it.
 */
export function mapRegisteredUser(u: User): RegisteredUserDto {
  return { id: u.id, email: u.email, displayName: u.displayName, createdAt: u.createdAt.toISOString() };
}

export function mapPartialUser(u: User): PartialUserDto {
  return { id: u.id, email: u.email, displayName: u.displayName, avatar: u.avatar };
}

export function mapLoginUser(u: User): LoginUserDto {
  return { ...mapRegisteredUser(u), avatar: u.avatar, twoFactorEnabled: u.twoFactorEnabled };
}

export function mapProfile(u: User): ProfileDto {
  return { ...mapLoginUser(u), updatedAt: u.updatedAt.toISOString() };
}

export function mapMe(u: User, entitlements: Entitlement[], recoveryCodesRemaining: number, nowMs: number): MeDto {
  return {
    ...mapProfile(u),
    banned: isBanned(u, nowMs),
    disabled: u.disabled,
    recoveryCodesRemaining,
    serviceAccess: entitlements.map(toEntitlementDto),
  };
}
