import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditContext } from '../audit/audit-context';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { sha256Hex } from '../common/crypto/hash';
import { Messages } from '../common/messages';
import { toEntitlementDto } from '../connect/dto/entitlement.dto';
import { Entitlement } from '../connect/entities/entitlement.entity';
import { isUniqueViolation } from '../database/db-errors';
import { UnitOfWork } from '../database/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import type { LoginDto, LoginTwoFactorDto, RegisterDto } from './dto/auth-requests.dto';
import type { LoginPendingResponse, LoginResponse, RegisterResponse } from './dto/auth-responses.dto';
import { PendingLogin } from './entities/pending-login.entity';
import { User } from './entities/user.entity';
import { LoginLimiter } from './login-limiter.service';
import { PasswordService } from './password.service';
import { isBanned } from './restriction';
import { SessionService } from './session.service';
import { TokenService } from './token.service';
import { TotpService } from './totp.service';
import { mapLoginUser, mapPartialUser, mapRegisteredUser } from './user.mapper';

/** A pending token is spent by its fifth wrong code. */
export const PENDING_MAX_FAILURES = 5;

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

/**
 * Registration and login (seed 004). Slow work (bcrypt, TOTP) happens before the
 * transaction; the transaction holds only the session and audit writes.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly dataSource: DataSource,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
    private readonly sessions: SessionService,
    private readonly tokens: TokenService,
    private readonly limiter: LoginLimiter,
    private readonly audit: AuditService,
    private readonly auditContext: AuditContext,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo): Promise<RegisterResponse> {
    const users = this.dataSource.getRepository(User);
    if (await users.exists({ where: { email: dto.email } })) throw new ConflictException(Messages.userExists);
    const passwordHash = await this.passwords.hash(dto.password);
    try {
      return await this.uow.run(async (m) => {
        const now = this.clock.now();
        const user = m.getRepository(User).create({
          email: dto.email,
          passwordHash,
          displayName: dto.displayName ?? null,
          avatar: null,
          role: 'user',
          twoFactorEnabled: false,
          twoFactorSecret: null,
          twoFactorPendingSecret: null,
          lastTotpStep: 0,
          banned: false,
          disabled: false,
          customDomainVerified: false,
          createdAt: now,
          updatedAt: now,
        });
        await m.getRepository(User).insert(user);
        const issued = await this.sessions.issue(user, client.ip, client.userAgent);
        const ip = this.sessions.sealedIp(issued.session, client.ip);
        this.auditContext.subject(user.id);
        this.auditContext.add({ ip });
        this.auditContext.also('SESSION_CREATE', { ip, sessionId: issued.session.id });
        return { user: mapRegisteredUser(user), token: issued.token };
      });
    } catch (error) {
      // Two registrations of one email at once: the database's UNIQUE decides (flaw 19).
      if (isUniqueViolation(error)) throw new ConflictException(Messages.userExists);
      throw error;
    }
  }

  async login(dto: LoginDto, client: ClientInfo): Promise<LoginResponse | LoginPendingResponse> {
    await this.limiter.claim(dto.email, client.ip);
    return this.settleClaim(dto.email, client.ip, () => this.attemptLogin(dto, client));
  }

  private async attemptLogin(dto: LoginDto, client: ClientInfo): Promise<LoginResponse | LoginPendingResponse> {
    const user = await this.dataSource.getRepository(User).findOneBy({ email: dto.email });
    // One bcrypt comparison either way, so an unknown email takes as long (flaw 12).
    const passwordOk = user
      ? await this.passwords.verify(dto.password, user.passwordHash)
      : await this.passwords.verifyAgainstNothing(dto.password);
    if (!user || !passwordOk) return this.reject(dto.email, client, user, 'invalid_credentials', Messages.invalidCredentials);

    if (!user.twoFactorEnabled) return this.complete(user, client, false);
    if (!dto.verificationCode) return this.pending(user);
    if (!(await this.totp.verifySecondFactor(user, dto.verificationCode))) {
      return this.reject(dto.email, client, user, 'invalid_2fa', Messages.invalid2faCode);
    }
    return this.complete(user, client, true);
  }

  /** The second login step: a pending token and a code (TOTP or recovery). */
  async loginTwoFactor(dto: LoginTwoFactorDto, client: ClientInfo): Promise<LoginResponse> {
    const claims = this.tokens.verifyPending(dto.pendingToken, this.clock.nowMs());
    const jtiHash = claims ? sha256Hex(claims.jti) : null;
    const pendingRepo = this.dataSource.getRepository(PendingLogin);
    const pending = jtiHash ? await pendingRepo.findOneBy({ jtiHash }) : null;
    const user = pending ? await this.dataSource.getRepository(User).findOneBy({ id: pending.userId }) : null;
    if (!claims || !pending || !user || pending.spentAt || pending.userId !== claims.sub || !user.twoFactorEnabled) {
      throw new UnauthorizedException(Messages.invalidPendingToken);
    }
    await this.limiter.claim(user.email, client.ip);
    return this.settleClaim(user.email, client.ip, async () => {
      if (!(await this.totp.verifySecondFactor(user, dto.verificationCode))) {
        await this.countPendingFailure(pending.jtiHash);
        return this.reject(user.email, client, user, 'invalid_2fa', Messages.invalid2faCode);
      }
      const spent = await pendingRepo
        .createQueryBuilder()
        .update(PendingLogin)
        .set({ spentAt: this.clock.now() })
        .where('jti_hash = :jtiHash AND spent_at IS NULL', { jtiHash: pending.jtiHash })
        .execute();
      if (!spent.affected) throw new UnauthorizedException(Messages.invalidPendingToken);
      return this.complete(user, client, true);
    });
  }

  /**
   * The limiter's claim on this attempt stays as a failure only when the credentials were
   * rejected; success (or any other ending) takes it back, so failures, not requests, count.
   */
  private async settleClaim<T>(email: string, ip: string, attempt: () => Promise<T>): Promise<T> {
    try {
      const result = await attempt();
      await this.limiter.release(email, ip);
      return result;
    } catch (error) {
      if (!(error instanceof CredentialsRejected)) await this.limiter.release(email, ip);
      throw error;
    }
  }

  private async countPendingFailure(jtiHash: string): Promise<void> {
    const repo = this.dataSource.getRepository(PendingLogin);
    await repo.increment({ jtiHash }, 'failedAttempts', 1);
    const row = await repo.findOneBy({ jtiHash });
    if (row && row.failedAttempts >= PENDING_MAX_FAILURES && !row.spentAt) {
      await repo.update({ jtiHash }, { spentAt: this.clock.now() });
    }
  }

  private async pending(user: User): Promise<LoginPendingResponse> {
    const { token, jti, expiresAt } = this.tokens.signPending(user.id, this.clock.nowMs());
    await this.dataSource.getRepository(PendingLogin).insert({ jtiHash: sha256Hex(jti), userId: user.id, failedAttempts: 0, spentAt: null, expiresAt });
    // The pending answer is not a login: no USER_LOGIN event.
    this.auditContext.skip();
    this.metrics.login('pending_2fa');
    return { user: mapPartialUser(user), requires2FA: true, pendingToken: token, message: Messages.twoFactorRequiredLogin };
  }

  private async complete(user: User, client: ClientInfo, twoFactorUsed: boolean): Promise<LoginResponse> {
    const response = await this.uow.run(async (m) => {
      const issued = await this.sessions.issue(user, client.ip, client.userAgent);
      const services = await m.getRepository(Entitlement).find({ where: { userId: user.id }, order: { createdAt: 'ASC' } });
      const ip = this.sessions.sealedIp(issued.session, client.ip);
      this.auditContext.subject(user.id);
      this.auditContext.add({ ip, twoFactorUsed });
      if (issued.created) this.auditContext.also('SESSION_CREATE', { ip, sessionId: issued.session.id });
      return {
        user: mapLoginUser(user),
        token: issued.token,
        services: services.map(toEntitlementDto),
        banned: isBanned(user, this.clock.nowMs()),
        disabled: user.disabled,
      };
    });
    this.metrics.login('success');
    return response;
  }

  /** One path for every credential failure, so no branch tells whether an account exists. */
  private async reject(
    email: string,
    client: ClientInfo,
    user: User | null,
    reason: 'invalid_credentials' | 'invalid_2fa',
    message: string,
  ): Promise<never> {
    this.metrics.login(reason);
    // the failure is already counted: the attempt's claim on the limiter stays
    await this.audit.recordLoginFailed(user?.id ?? null, email, client.ip, reason === 'invalid_credentials' ? 'password' : 'totp');
    throw new CredentialsRejected(message);
  }
}

/** A 401 for wrong credentials (the limiter's claim on the attempt stays as its failure). */
class CredentialsRejected extends UnauthorizedException {}
