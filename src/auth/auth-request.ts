import type { Request } from 'express';
import type { Session } from './entities/session.entity';
import type { User } from './entities/user.entity';
import type { LiveSession } from './session.service';

/** What the JWT guard puts on an authenticated request. */
export interface AuthenticatedRequest extends Request {
  user?: User;
  session?: Session;
  /** The token's live session, read with the user's entitlements in one statement (SessionService.findLive). */
  live?: LiveSession;
}
