import { isBanned } from '../auth/restriction';
import type { User } from '../auth/entities/user.entity';
import { toEntitlementDto } from '../connect/dto/entitlement.dto';
import type { Entitlement } from '../connect/entities/entitlement.entity';
import type { AdminUserDto } from './dto/admin.dto';
import type { InternalUserDto } from './dto/internal-user.dto';

/** Explicit mappers: a column leaves the service only if it is named here. */
export function mapAdminUser(u: User, entitlements: Entitlement[], nowMs: number): AdminUserDto {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    avatar: u.avatar,
    banned: isBanned(u, nowMs),
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    serviceAccess: entitlements.map(toEntitlementDto),
  };
}

export function mapInternalUser(u: User, entitlements: Entitlement[], nowMs: number): InternalUserDto {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    avatar: u.avatar,
    twoFactorEnabled: u.twoFactorEnabled,
    banned: isBanned(u, nowMs),
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    serviceAccess: entitlements.map(toEntitlementDto),
  };
}
