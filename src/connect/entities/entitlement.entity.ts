import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import type { ServiceName } from '../../common/services';
import { Col, type JsonObject } from '../../database/column-types';

/**
 * A user's access to one product. Only free-tier claims, billing webhooks and
 * administrators write tiers (flaw 6). Polar ids are stored but never exposed.
 */
@Entity('service_entitlements')
@Index('UQ_service_entitlements_user_service', ['userId', 'service'], { unique: true })
@Index('IDX_service_entitlements_subscription', ['polarSubscriptionId'])
export class Entitlement {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  @Column({ type: Col.uuid, length: Col.uuidLength })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_service_entitlements_user' })
  user?: User;

  @Column({ type: 'varchar', length: 16 })
  service!: ServiceName;

  @Column({ type: 'varchar', length: 32, default: 'free' })
  tier!: string;

  @Column({ type: 'boolean', default: false })
  isPremium!: boolean;

  @Column({ type: 'boolean', default: true })
  connected!: boolean;

  @Column({ type: Col.json, nullable: true })
  accessFlags!: JsonObject | null;

  @Column({ type: Col.json, nullable: true })
  metadata!: JsonObject | null;

  @Column({ type: 'integer', nullable: true })
  customStorageLimit!: number | null;

  @Column({ type: 'integer', nullable: true })
  customApiKeyLimit!: number | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  polarSubscriptionId!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  polarSubscriptionStatus!: string | null;

  @Column({ type: Col.timestamp })
  createdAt!: Date;

  @Column({ type: Col.timestamp })
  updatedAt!: Date;
}
