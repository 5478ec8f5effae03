import type { Request } from 'express';
import type { EntitlementDto } from '../connect/dto/entitlement.dto';
import type { Session } from './entities/session.entity';
import type { User } from './entities/user.entity';

/** What the JWT guard puts on an authenticated request. */
export interface AuthenticatedRequest extends Request {
  user?: User;
  session?: Session;
  /** The user's entitlements, read in the same statement as the session (SessionService.findLive). */
  entitlements?: EntitlementDto[];
}
