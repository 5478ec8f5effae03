import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import DataLoader from 'dataloader';
import { DataSource, In, LessThan, MoreThan, Not } from 'typeorm';
import { Clock } from '../common/clock';
import { DataProtector } from '../common/crypto/data-protector';
import { sha256Hex } from '../common/crypto/hash';
import { securityConfig } from '../config/configuration';
import type { EntitlementDto } from '../connect/dto/entitlement.dto';
import { HotQuery } from '../database/hot-query';
import { rawEntityReader } from '../database/raw-entity';
import { UnitOfWork } from '../database/unit-of-work';
import { PendingLogin } from './entities/pending-login.entity';
import { Session } from './entities/session.entity';
import { SessionUser, User, USER_SECRET_PROPERTIES } from './entities/user.entity';
import { TokenService } from './token.service';

const DAY_MS = 24 * 60 * 60 * 1000;
/** lastUsedAt and the sliding expiry are written at most this often per session. */
export const TOUCH_INTERVAL_MS = 60 * 1000;
const CLEANUP_BATCH = 500;
/** At most this many token checks share one PostgreSQL statement. */
const LIVE_BATCH_MAX = 64;

/**
 * What a live token names: its session, the session's user (without its secrets:
 * SessionUser), and the user's entitlements, read together. The entitlements come as the
 * JSON text the user row keeps and are parsed the first time they are asked for: most
 * routes (an audit page, a profile change) never ask.
 */
export class LiveSession {
  private parsed?: EntitlementDto[];

  constructor(
    readonly session: Session & { user: SessionUser },
    private readonly entitlementsJson: unknown,
  ) {}

  get entitlements(): EntitlementDto[] {
    this.parsed ??= typeof this.entitlementsJson === 'string' ? (JSON.parse(this.entitlementsJson) as EntitlementDto[]) : [];
    return this.parsed;
  }
}

export interface IssuedSession {
  session: Session;
  token: string;
  created: boolean;
}

@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly lifetimeMs: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly protector: DataProtector,
    private readonly tokens: TokenService,
    @Inject(securityConfig.KEY) config: ConfigType<typeof securityConfig>,
  ) {
    this.lifetimeMs = config.sessionExpiresDays * DAY_MS;
    const session = rawEntityReader(dataSource, Session, 's');
    // Every column of the user but its secrets: no password hash or 2FA secret passes through
    // the token check; the steps that check them read them (readWholeUser).
    const secret: ReadonlyArray<string> = USER_SECRET_PROPERTIES;
    const userProperties = dataSource
      .getMetadata(User)
      .columns.filter((column) => column.isSelect && !secret.includes(column.propertyName))
      .map((column) => column.propertyName as keyof SessionUser & string);
    const user = rawEntityReader(dataSource, User, 'u', userProperties);
    const postgres = dataSource.options.type === 'postgres';
    // The user's entitlements come as the JSON text the database keeps in the contract's shape
    // (users.entitlements_json, migration UserEntitlementsJson): one column, no aggregate.
    const entitlementsJson = dataSource.driver.escape(dataSource.getMetadata(User).findColumnWithPropertyName('entitlementsJson')!.databaseName);
    const select = `SELECT ${session.select}, ${user.select}, u.${entitlementsJson} FROM sessions s INNER JOIN users u ON u.id = s.user_id WHERE `;
    // Read as an array: the session's columns, the user's, then the entitlements.
    const read = (row: readonly unknown[]): LiveSession =>
      new LiveSession(Object.assign(session.readAt(row, 0), { user: user.readAt(row, session.width) }), row[session.width + user.width]);
    this.liveLookup = { query: new HotQuery(dataSource, 'nullpass_session_live', `${select}s.id = ${postgres ? '$1' : '?'}`), read };

    // Most of a token check's database cost is the statement's fixed cost (on PostgreSQL the
    // round trip: the pool, the protocol, two syscalls), not the row: the checks that arrive
    // in one turn of the event loop share one statement (bench/README.md, "sixth pass").
    // Each check still reads the row after its request arrived, so a revocation committed
    // before it is seen.
    const batch = new HotQuery(
      dataSource,
      'nullpass_session_live_batch',
      postgres ? `${select}s.id = ANY($1::uuid[])` : `${select}s.id IN (SELECT value FROM json_each(?))`,
    );
    const idAt = session.indexOf('id');
    this.liveBatch = new DataLoader<string, LiveSession | null>(
      async (ids) => {
        const rows = new Map<string, readonly unknown[]>();
        for (const row of await batch.arrays(dataSource.manager, [postgres ? ids : JSON.stringify(ids)])) rows.set(row[idAt] as string, row);
        // Read once per caller: two requests of one session get entities of their own to change (touch).
        return ids.map((id) => {
          const row = rows.get(id);
          return row ? read(row) : null;
        });
      },
      { cache: false, maxBatchSize: LIVE_BATCH_MAX, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
    );
  }

  /** The statement of every authenticated request, built once (see rawEntityReader). */
  private readonly liveLookup: { query: HotQuery; read: (row: readonly unknown[]) => LiveSession };
  /** The token checks of one event-loop turn, read by one statement (outside transactions). */
  private readonly liveBatch: DataLoader<string, LiveSession | null>;

  /**
   * Seed 004's session management: a live session of the same user from the same IP is
   * reused and extended (no new row, no SESSION_CREATE); otherwise a new one is made.
   * The IP comparison uses the blind index (flaw 3). Call inside a transaction.
   */
  async issue(user: User, ip: string, userAgent: string | undefined): Promise<IssuedSession> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.lifetimeMs);
    const repo = this.uow.manager.getRepository(Session);
    if (repo.manager.connection.options.type === 'postgres') {
      // PostgreSQL runs two logins of one user side by side: both would miss the session
      // to reuse and make one each. The user's row serialises them (SQLite serialises
      // whole transactions already).
      await repo.manager
        .getRepository(User)
        .createQueryBuilder('u')
        .select('u.id')
        .where('u.id = :id', { id: user.id })
        .setLock('pessimistic_write')
        .getOne();
    }
    const ipIndex = this.protector.ipIndex(ip);
    const existing = await repo.findOne({
      where: { userId: user.id, ipIndex, expiresAt: MoreThan(now) },
      order: { createdAt: 'DESC' },
    });
    if (existing) {
      await repo.update({ id: existing.id }, { expiresAt, lastUsedAt: now });
      existing.expiresAt = expiresAt;
      existing.lastUsedAt = now;
      return { session: existing, token: this.sign(existing), created: false };
    }
    const session = repo.create({
      userId: user.id,
      ipEncrypted: this.protector.seal(ip),
      ipIndex,
      userAgent: userAgent ? userAgent.slice(0, 512) : null,
      createdAt: now,
      lastUsedAt: now,
      expiresAt,
    });
    session.jtiHash = sha256Hex(this.protector.jtiFor(session.id));
    await repo.insert(session);
    return { session, token: this.sign(session), created: true };
  }

  private sign(session: Session): string {
    return this.tokens.signAccess(session.userId, session.id, this.protector.jtiFor(session.id), session.expiresAt, this.clock.nowMs());
  }

  /**
   * The session a token names, with its user and the user's entitlements (one statement),
   * if it is still live and the token's jti (given as its SHA-256, VerifiedAccess.jtiHash) is
   * the session's: what makes logout, revocation and deletion take effect on the very next
   * request on every instance (flaw 1).
   */
  async findLive(sessionId: string, jtiHash: string): Promise<LiveSession | null> {
    if (!UUID.test(sessionId)) return null;
    const live = await this.readLive(sessionId.toLowerCase());
    if (!live) return null;
    if (live.session.expiresAt.getTime() <= this.clock.nowMs()) return null;
    if (live.session.jtiHash !== jtiHash) return null;
    return live;
  }

  /** Inside a transaction, its own connection sees its own writes: that read is not shared. */
  private async readLive(sessionId: string): Promise<LiveSession | null> {
    if (!this.uow.inTransaction) return this.liveBatch.load(sessionId);
    const rows = await this.liveLookup.query.arrays(this.uow.manager, [sessionId]);
    return rows.length ? this.liveLookup.read(rows[0]) : null;
  }

  /** Whether `touch` would write: on most requests it would not, and they skip the call. */
  touchDue(session: Session): boolean {
    return this.clock.nowMs() - session.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS;
  }

  /** Slides the expiry forward, at most once a minute per session. */
  async touch(session: Session): Promise<void> {
    if (!this.touchDue(session)) return;
    const now = this.clock.nowMs();
    const lastUsedAt = new Date(now);
    const expiresAt = new Date(now + this.lifetimeMs);
    await this.uow.manager.getRepository(Session).update({ id: session.id }, { lastUsedAt, expiresAt });
    session.lastUsedAt = lastUsedAt;
    session.expiresAt = expiresAt;
  }

  list(userId: string): Promise<Session[]> {
    return this.uow.manager.getRepository(Session).find({
      where: { userId, expiresAt: MoreThan(this.clock.now()) },
      order: { createdAt: 'DESC' },
    });
  }

  /** Deletes one of the user's sessions; false when it is not theirs (or gone). */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    const result = await this.uow.manager.getRepository(Session).delete({ id: sessionId, userId });
    return (result.affected ?? 0) > 0;
  }

  async revokeAll(userId: string, exceptSessionId?: string): Promise<number> {
    const where = exceptSessionId ? { userId, id: Not(exceptSessionId) } : { userId };
    const result = await this.uow.manager.getRepository(Session).delete(where);
    return result.affected ?? 0;
  }

  /**
   * The client's IP sealed as the session stores it, for the events of the login or
   * registration that issued the session: issue() matched the session to this IP by its
   * blind index, or made it for this IP, so the session's ciphertext is this IP's. Events
   * that share it are opened once per audit page (AuditQueryService).
   */
  sealedIp(session: Session, ip: string): string {
    return session.ipEncrypted ?? this.protector.seal(ip);
  }

  decryptIp(session: Session): string | null {
    return this.protector.open(session.ipEncrypted);
  }

  /** Expired sessions and pending logins are removed in batches, off the request path. */
  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'session-cleanup' })
  async removeExpired(): Promise<number> {
    let removed = 0;
    try {
      for (;;) {
        const now = this.clock.now();
        const ids = (
          await this.dataSource.getRepository(Session).find({ select: { id: true }, where: { expiresAt: LessThan(now) }, take: CLEANUP_BATCH })
        ).map((s) => s.id);
        if (!ids.length) break;
        await this.dataSource.getRepository(Session).delete({ id: In(ids) });
        removed += ids.length;
        if (ids.length < CLEANUP_BATCH) break;
      }
      await this.dataSource.getRepository(PendingLogin).delete({ expiresAt: LessThan(this.clock.now()) });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'session cleanup failed; will retry');
    }
    return removed;
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
