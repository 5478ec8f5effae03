import { BadRequestException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { AuditContext } from '../audit/audit-context';
import { Clock } from '../common/clock';
import { DataProtector } from '../common/crypto/data-protector';
import { safeEqual } from '../common/crypto/hash';
import { Messages } from '../common/messages';
import { UnitOfWork } from '../database/unit-of-work';
import type { TwoFactorDto } from './dto/auth-requests.dto';
import type { RecoveryCodesResponse, TwoFactorSetupResponse, TwoFactorStateResponse } from './dto/auth-responses.dto';
import { SessionUser, User } from './entities/user.entity';
import { PasswordService } from './password.service';
import { TotpService } from './totp.service';
import { readWholeUser } from './whole-user';

/**
 * 2FA setup, confirmation and removal. Unlike the original (flaws 10 and 20) the
 * secret being enabled is the one this server generated and kept, enabling twice is
 * refused, and both enabling and disabling need the password.
 */
@Injectable()
export class TwoFactorService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
    private readonly protector: DataProtector,
    private readonly auditContext: AuditContext,
    private readonly clock: Clock,
  ) {}

  async change(account: SessionUser, dto: TwoFactorDto): Promise<TwoFactorSetupResponse | TwoFactorStateResponse> {
    const user = await readWholeUser(this.uow.manager, account.id);
    if (!dto.enable) return this.disable(user, dto);
    if (user.twoFactorEnabled) throw new BadRequestException(Messages.twoFactorAlreadyEnabled);
    return dto.verificationCode === undefined ? this.setup(user) : this.confirm(user, dto);
  }

  private async setup(user: SessionUser): Promise<TwoFactorSetupResponse> {
    const secret = this.totp.newSecret();
    const qrCode = await this.totp.qrCode(secret, user.email);
    await this.uow.manager
      .getRepository(User)
      .update({ id: user.id }, { twoFactorPendingSecret: this.protector.seal(secret), updatedAt: this.clock.now() });
    // Only setting up: nothing is enabled yet, so no audit event.
    this.auditContext.skip();
    return { qrCode, secret, manualEntryKey: secret, message: Messages.twoFactorScan };
  }

  private async confirm(user: User, dto: TwoFactorDto): Promise<TwoFactorStateResponse> {
    const pending = this.protector.open(user.twoFactorPendingSecret);
    if (!pending) throw new BadRequestException(Messages.noPending2fa);
    if (!dto.password || !(await this.passwords.verify(dto.password, user.passwordHash))) {
      throw new UnauthorizedException(Messages.invalidPassword);
    }
    if (dto.secret !== undefined && !safeEqual(dto.secret.replace(/\s+/g, '').toUpperCase(), pending)) {
      throw new BadRequestException(Messages.invalidVerificationCode);
    }
    const step = this.totp.matchStep(pending, dto.verificationCode ?? '');
    if (step === null) throw new BadRequestException(Messages.invalidVerificationCode);
    const recoveryCodes = await this.uow.run(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(User)
        .set({
          twoFactorEnabled: true,
          twoFactorSecret: user.twoFactorPendingSecret,
          twoFactorPendingSecret: null,
          // The confirming code is spent: it cannot be replayed to log in.
          lastTotpStep: step,
          updatedAt: this.clock.now(),
        })
        .where('id = :id AND two_factor_enabled = :off', { id: user.id, off: false })
        .execute();
      if (!result.affected) throw new BadRequestException(Messages.twoFactorAlreadyEnabled);
      return this.totp.issueRecoveryCodes(user.id);
    });
    return { message: Messages.twoFactorEnabled, twoFactorEnabled: true, recoveryCodes };
  }

  private async disable(user: User, dto: TwoFactorDto): Promise<TwoFactorStateResponse> {
    if (!user.twoFactorEnabled) throw new BadRequestException(Messages.twoFactorNotEnabled);
    if (!dto.verificationCode) throw new BadRequestException(Messages.codeRequiredToDisable2fa);
    if (!dto.password || !(await this.passwords.verify(dto.password, user.passwordHash))) {
      throw new UnauthorizedException(Messages.invalidPassword);
    }
    if (!(await this.totp.verifySecondFactor(user, dto.verificationCode))) {
      throw new BadRequestException(Messages.invalidVerificationCode);
    }
    await this.uow.run(async (m) => {
      const result = await m.getRepository(User).update(
        { id: user.id },
        { twoFactorEnabled: false, twoFactorSecret: null, twoFactorPendingSecret: null, updatedAt: this.clock.now() },
      );
      // deleted meanwhile (a concurrent delete-account): seed 003's answer, not an audit row for no one
      if (!result.affected) throw new NotFoundException(Messages.userNotFound);
      await this.totp.clearRecoveryCodes(user.id);
    });
    return { message: Messages.twoFactorDisabled, twoFactorEnabled: false };
  }

  /** New recovery codes (the old ones void); the route is behind re-authentication. */
  async regenerateRecoveryCodes(user: SessionUser): Promise<RecoveryCodesResponse> {
    if (!user.twoFactorEnabled) throw new BadRequestException(Messages.twoFactorNotEnabled);
    const recoveryCodes = await this.uow.run(() => this.totp.issueRecoveryCodes(user.id));
    return { recoveryCodes };
  }
}
