import { BadRequestException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { removeStoredAvatar } from '../account/avatar-storage';
import { AuditContext } from '../audit/audit-context';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import { storageConfig } from '../config/configuration';
import type { EntitlementDto } from '../connect/dto/entitlement.dto';
import { UnitOfWork } from '../database/unit-of-work';
import type { ChangePasswordDto, UpdateProfileDto } from './dto/auth-requests.dto';
import type { MeResponse, ProfileResponse, SuccessMessageResponse, VerifyResponse } from './dto/auth-responses.dto';
import { SessionUser, User } from './entities/user.entity';
import { PasswordService } from './password.service';
import { restrictionOf, isBanned } from './restriction';
import { Session } from './entities/session.entity';
import { SessionService } from './session.service';
import { TokenService } from './token.service';
import { TotpService } from './totp.service';
import { mapMe, mapProfile } from './user.mapper';
import { readWholeUser } from './whole-user';

@Injectable()
export class ProfileService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
    private readonly sessions: SessionService,
    private readonly tokens: TokenService,
    private readonly auditContext: AuditContext,
    private readonly clock: Clock,
    @Inject(storageConfig.KEY) private readonly storage: ConfigType<typeof storageConfig>,
  ) {}

  /** The user and entitlements the JWT guard read; recovery codes are counted only with 2FA on. */
  async me(user: SessionUser, entitlements: EntitlementDto[]): Promise<MeResponse> {
    const remaining = user.twoFactorEnabled ? await this.totp.remainingRecoveryCodes(user.id) : 0;
    return { user: mapMe(user, entitlements, remaining, this.clock.nowMs()) };
  }

  async update(user: SessionUser, dto: UpdateProfileDto): Promise<ProfileResponse> {
    const changes: Partial<Pick<User, 'displayName' | 'avatar'>> = {};
    if (dto.displayName !== undefined) changes.displayName = dto.displayName;
    if (dto.avatar !== undefined) changes.avatar = dto.avatar === '' ? null : dto.avatar;
    const fields = Object.keys(changes);
    if (!fields.length) throw new BadRequestException(Messages.noFieldsToUpdate);
    const updatedAt = this.clock.now();
    const previousAvatar = await this.uow.run(async (m) => {
      const before =
        changes.avatar !== undefined ? await m.getRepository(User).findOne({ select: { id: true, avatar: true }, where: { id: user.id } }) : null;
      const result = await m.getRepository(User).update({ id: user.id }, Object.assign({}, changes, { updatedAt }));
      // deleted meanwhile (a concurrent delete-account): seed 003's answer, not an audit row for no one
      if (!result.affected) throw new NotFoundException(Messages.userNotFound);
      this.auditContext.add({ fields });
      return before?.avatar ?? null;
    });
    // A replaced or cleared uploaded file is removed once the change has committed.
    if (changes.avatar !== undefined && previousAvatar !== changes.avatar) {
      await removeStoredAvatar(this.storage.avatarDir, user.id, previousAvatar);
    }
    return { user: mapProfile(Object.assign({}, user, changes, { updatedAt })) };
  }

  /**
   * Checks the current password and 2FA (seed 001's messages), then changes the hash and
   * revokes every other session (flaw 9) in one transaction.
   */
  async changePassword(account: SessionUser, current: Session, dto: ChangePasswordDto): Promise<SuccessMessageResponse> {
    const user = await readWholeUser(this.uow.manager, account.id);
    if (!(await this.passwords.verify(dto.currentPassword, user.passwordHash))) {
      throw new UnauthorizedException(Messages.invalidCurrentPassword);
    }
    if (user.twoFactorEnabled) {
      if (!dto.verificationCode) throw new UnauthorizedException(Messages.twoFactorCodeRequired);
      if (!(await this.totp.verifySecondFactor(user, dto.verificationCode))) throw new UnauthorizedException(Messages.invalid2faCode);
    }
    const passwordHash = await this.passwords.hash(dto.newPassword);
    await this.uow.run(async (m) => {
      const result = await m.getRepository(User).update({ id: user.id }, { passwordHash, updatedAt: this.clock.now() });
      // deleted meanwhile (a concurrent delete-account): seed 003's answer, not an audit row for no one
      if (!result.affected) throw new NotFoundException(Messages.userNotFound);
      const revoked = await this.sessions.revokeAll(user.id, current.id);
      this.auditContext.add({ revokedSessions: revoked });
    });
    return { success: true, message: Messages.passwordChanged };
  }

  /**
   * For sibling products: is this token good right now? Unlike the original (flaw 1)
   * the session must exist and the user must still be there; banned and disabled
   * accounts answer valid:false with the reason.
   */
  async verify(token: string | undefined): Promise<VerifyResponse> {
    if (!token) throw new BadRequestException(Messages.tokenRequired);
    const access = this.tokens.verifyAccess(token, this.clock.nowMs());
    const live = access ? await this.sessions.findLive(access.claims.sid, access.jtiHash) : null;
    if (!access || !live || live.session.userId !== access.claims.sub) throw new UnauthorizedException(Messages.invalidToken);
    const { session } = live;
    const user = session.user;
    const nowMs = this.clock.nowMs();
    const restriction = restrictionOf(user, nowMs);
    const payload = {
      userId: user.id,
      email: user.email,
      sessionId: session.id,
      expiresAt: session.expiresAt.toISOString(),
      banned: isBanned(user, nowMs),
      disabled: user.disabled,
    };
    if (restriction) return { valid: false, reason: restriction, payload };
    return { valid: true, payload, services: live.entitlements };
  }
}
