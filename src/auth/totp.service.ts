import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import * as speakeasy from 'speakeasy';
import { Clock } from '../common/clock';
import { DataProtector } from '../common/crypto/data-protector';
import { securityConfig } from '../config/configuration';
import { UnitOfWork } from '../database/unit-of-work';
import { RecoveryCode } from './entities/recovery-code.entity';
import { User } from './entities/user.entity';

export const TOTP_STEP_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const TOTP_CODE = /^\d{6}$/;
export const RECOVERY_CODE = /^[a-z2-7]{5}-[a-z2-7]{5}$/;

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s) through speakeasy, with what the original
 * lacked (flaw 10): replay refusal via the last accepted step stored on the user row
 * and advanced atomically, and single-use recovery codes stored as HMACs.
 */
@Injectable()
export class TotpService {
  private readonly window: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly protector: DataProtector,
    @Inject(securityConfig.KEY) config: ConfigType<typeof securityConfig>,
  ) {
    this.window = config.totpWindow;
  }

  newSecret(): string {
    return speakeasy.generateSecret({ length: 20 }).base32;
  }

  async qrCode(secret: string, email: string): Promise<string> {
    const url = speakeasy.otpauthURL({ secret, encoding: 'base32', label: `NullPass:${email}`, issuer: 'NullPass' });
    // Loaded on first use: only 2FA setup draws QR codes (keeps the idle process smaller).
    const QRCode = await import('qrcode');
    return QRCode.toDataURL(url);
  }

  /** The time step a code matches within the window, or null (no state change). */
  matchStep(secret: string, code: string): number | null {
    if (!TOTP_CODE.test(code)) return null;
    const nowSeconds = this.clock.nowMs() / 1000;
    const delta = speakeasy.totp.verifyDelta({
      secret,
      encoding: 'base32',
      token: code,
      window: this.window,
      step: TOTP_STEP_SECONDS,
      time: nowSeconds,
    });
    if (!delta) return null;
    return Math.floor(nowSeconds / TOTP_STEP_SECONDS) + delta.delta;
  }

  /**
   * Accepts a code once: the step must be later than the last one accepted for the
   * account. The conditional UPDATE makes this hold across instances.
   */
  async consumeTotp(userId: string, secret: string, code: string): Promise<boolean> {
    const step = this.matchStep(secret, code);
    if (step === null) return false;
    const result = await this.uow.manager
      .createQueryBuilder()
      .update(User)
      .set({ lastTotpStep: step })
      .where('id = :id AND last_totp_step < :step', { id: userId, step })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** A TOTP code or a recovery code, each accepted once. */
  async verifySecondFactor(user: Pick<User, 'id' | 'twoFactorEnabled' | 'twoFactorSecret'>, code: string | undefined): Promise<boolean> {
    if (!code || !user.twoFactorEnabled) return false;
    const normalised = code.trim().toLowerCase();
    if (TOTP_CODE.test(normalised)) {
      const secret = this.protector.open(user.twoFactorSecret);
      return !!secret && this.consumeTotp(user.id, secret, normalised);
    }
    if (RECOVERY_CODE.test(normalised)) {
      const result = await this.uow.manager
        .getRepository(RecoveryCode)
        .delete({ userId: user.id, codeHash: this.protector.recoveryCodeHash(normalised) });
      return (result.affected ?? 0) > 0;
    }
    return false;
  }

  /** Replaces the user's recovery codes; returns the new ones (shown once). */
  async issueRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    const repo = this.uow.manager.getRepository(RecoveryCode);
    await repo.delete({ userId });
    const now = this.clock.now();
    await repo.insert(codes.map((code) => repo.create({ userId, codeHash: this.protector.recoveryCodeHash(code), createdAt: now })));
    return codes;
  }

  remainingRecoveryCodes(userId: string): Promise<number> {
    return this.uow.manager.getRepository(RecoveryCode).count({ where: { userId } });
  }

  async clearRecoveryCodes(userId: string): Promise<void> {
    await this.uow.manager.getRepository(RecoveryCode).delete({ userId });
  }
}

function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => BASE32[b & 31]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

