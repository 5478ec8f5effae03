import { SetMetadata } from '@nestjs/common';

export const ALLOW_RESTRICTED_KEY = 'nullpass:allow-restricted';

/**
 * A route a banned or disabled account may still call (the spec names exactly these:
 * me, logout, sessions, password, re-enable, self-unban, delete). Every other
 * authenticated route answers 403 for such an account.
 */
export const AllowRestricted = () => SetMetadata(ALLOW_RESTRICTED_KEY, true);
