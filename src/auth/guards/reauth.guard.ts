import { CanActivate, ExecutionContext, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Messages } from '../../common/messages';
import { clientIp } from '../../common/client-ip';
import { createValidationPipe } from '../../common/validation.pipe';
import type { AuthenticatedRequest } from '../auth-request';
import { ReauthDto } from '../dto/reauth.dto';
import { LoginLimiter } from '../login-limiter.service';
import { PasswordService } from '../password.service';
import { TotpService } from '../totp.service';
import { readWholeUser } from '../whole-user';

/**
 * Re-authentication for sensitive routes, in the seeds' order and with their messages:
 * the body is validated first (Nest runs guards before pipes, so this guard validates
 * its own input), then the password (401 "Invalid password"), then the TOTP or recovery
 * code when 2FA is on (401 "2FA verification code is required" / "Invalid 2FA
 * verification code"). A vanished account answers 404 "User not found" as seed 003.
 * A stolen token must not become a password oracle: wrong passwords and codes here count
 * against the same failed-login limits as the login (429 while one holds).
 */
@Injectable()
export class ReauthGuard implements CanActivate {
  private readonly pipe = createValidationPipe();

  constructor(
    private readonly dataSource: DataSource,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
    private readonly limiter: LoginLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const body = (await this.pipe.transform(req.body, { type: 'body', metatype: ReauthDto })) as ReauthDto;
    if (!req.user) throw new NotFoundException(Messages.userNotFound);
    const user = await readWholeUser(this.dataSource.manager, req.user.id);
    const ip = clientIp(req);
    await this.limiter.claim(user.email, ip);
    if (!(await this.passwords.verify(body.password, user.passwordHash))) {
      throw new UnauthorizedException(Messages.invalidPassword); // the claim stays as a failure
    }
    if (user.twoFactorEnabled) {
      if (!body.verificationCode) {
        await this.limiter.release(user.email, ip);
        throw new UnauthorizedException(Messages.twoFactorCodeRequired);
      }
      if (!(await this.totp.verifySecondFactor(user, body.verificationCode))) {
        throw new UnauthorizedException(Messages.invalid2faCode); // the claim stays as a failure
      }
    }
    await this.limiter.release(user.email, ip);
    req.user = user;
    return true;
  }
}
