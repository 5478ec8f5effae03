import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';

export type UserRole = 'user' | 'admin';

@Entity('users')
export class User {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  /** Trimmed and lower-cased before every write and lookup (flaw 18), unique as stored. */
  @Index('UQ_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 100 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  /** An https URL, or "<userId>/<generated file name>" under AVATAR_DIR. */
  @Column({ type: 'varchar', length: 2048, nullable: true })
  avatar!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  @Column({ type: 'boolean', default: false })
  twoFactorEnabled!: boolean;

  /** Sealed (AES-GCM) base32 secret of the active 2FA. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  twoFactorSecret!: string | null;

  /** Sealed secret offered by the setup step and not yet confirmed (flaw 10). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  twoFactorPendingSecret!: string | null;

  /** Last accepted TOTP time step: replay refusal across instances (RFC 6238 §5.2). */
  @Column({ type: 'integer', default: 0 })
  lastTotpStep!: number;

  @Column({ type: 'boolean', default: false })
  banned!: boolean;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** Who banned: the user itself (self-ban) or an administrator's id. */
  @Column({ type: Col.uuid, length: Col.uuidLength, nullable: true })
  bannedBy!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  banReason!: string | null;

  @Column({ type: Col.timestamp, nullable: true })
  bannedAt!: Date | null;

  @Column({ type: Col.timestamp, nullable: true })
  bannedUntil!: Date | null;

  /** Lower-cased host name, unique across users (enforced by the database). */
  @Index('UQ_users_custom_domain', { unique: true })
  @Column({ type: 'varchar', length: 253, nullable: true })
  customDomain!: string | null;

  @Column({ type: 'boolean', default: false })
  customDomainVerified!: boolean;

  /** The user's Polar customer (set by customer and subscription webhooks). */
  @Column({ type: 'varchar', length: 100, nullable: true })
  polarCustomerId!: string | null;

  @Column({ type: Col.timestamp })
  createdAt!: Date;

  @Column({ type: Col.timestamp })
  updatedAt!: Date;

  /**
   * The user's entitlements as the JSON text the token check answers with, written only by
   * the database's triggers on service_entitlements (migration UserEntitlementsJson). Never
   * selected, inserted or updated by TypeORM: SessionService.findLive reads it by name.
   */
  @Column({ type: 'text', nullable: true, select: false, insert: false, update: false })
  entitlementsJson?: string | null;
}

/**
 * The columns that are a credential or guard one (the password hash, the sealed 2FA
 * secrets, the last TOTP step): read only by the steps that check them (readWholeUser),
 * never by the token check that every authenticated request makes.
 */
export const USER_SECRET_PROPERTIES = ['passwordHash', 'twoFactorSecret', 'twoFactorPendingSecret', 'lastTotpStep'] as const;

/** The user as an authenticated request carries it (SessionService.findLive): every column but the secrets. */
export type SessionUser = Omit<User, (typeof USER_SECRET_PROPERTIES)[number]>;
