import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { safeEqual } from '../../common/crypto/hash';
import { Messages } from '../../common/messages';
import { securityConfig } from '../../config/configuration';

/**
 * Sibling services behind the gateway present X-Internal-Secret. Compared in constant
 * time; an unset INTERNAL_SECRET never matches.
 */
@Injectable()
export class InternalSecretGuard implements CanActivate {
  constructor(@Inject(securityConfig.KEY) private readonly config: ConfigType<typeof securityConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const given = context.switchToHttp().getRequest<Request>().headers['x-internal-secret'];
    if (typeof given !== 'string' || !safeEqual(given, this.config.internalSecret)) {
      throw new UnauthorizedException(Messages.unauthorized);
    }
    return true;
  }
}
