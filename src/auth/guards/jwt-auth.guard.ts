import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Clock } from '../../common/clock';
import { Messages } from '../../common/messages';
import type { AuthenticatedRequest } from '../auth-request';
import { ADMIN_ONLY_KEY } from '../decorators/admin-only.decorator';
import { ALLOW_RESTRICTED_KEY } from '../decorators/allow-restricted.decorator';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { restrictionOf } from '../restriction';
import { SessionService } from '../session.service';
import { TokenService } from '../token.service';

/**
 * The global guard (APP_GUARD): every route needs a live access token unless it is
 * @Public(). It checks signature, type, expiry AND the session row, so a logged-out,
 * revoked, pending or deleted-user token is refused at once (flaw 1); it applies the
 * restricted mode of banned and disabled accounts (flaw 5) and the admin role.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req.headers.authorization);
    const access = token ? this.tokens.verifyAccess(token, this.clock.nowMs()) : null;
    const live = access ? await this.sessions.findLive(access.claims.sid, access.jtiHash) : null;
    if (!access || !live || live.session.userId !== access.claims.sub) {
      throw new UnauthorizedException(Messages.unauthorized);
    }
    const { session } = live;
    if (this.sessions.touchDue(session)) await this.sessions.touch(session);
    req.user = session.user;
    req.session = session;
    req.live = live;

    const restriction = restrictionOf(session.user, this.clock.nowMs());
    if (restriction && !this.reflector.getAllAndOverride<boolean>(ALLOW_RESTRICTED_KEY, targets)) {
      throw new ForbiddenException(restriction === 'banned' ? Messages.accountBanned : Messages.accountDisabled);
    }
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY_KEY, targets) && session.user.role !== 'admin') {
      throw new ForbiddenException(Messages.adminRequired);
    }
    return true;
  }
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
