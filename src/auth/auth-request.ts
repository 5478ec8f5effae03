import type { Request } from 'express';
import type { Session } from './entities/session.entity';
import type { SessionUser } from './entities/user.entity';
import type { LiveSession } from './session.service';

/** What the JWT guard puts on an authenticated request. */
export interface AuthenticatedRequest extends Request {
  /** The session's user without its secrets; the re-authentication guard puts the whole row it read here. */
  user?: SessionUser;
  session?: Session;
  /** The token's live session, read with the user's entitlements in one statement (SessionService.findLive). */
  live?: LiveSession;
}
