import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';

export type OutboxStatus = 'pending' | 'done' | 'dead';

/**
 * A Polar subscription cancellation that must not be lost (flaw 8): written in the
 * transaction of the account change, delivered later by the worker. Holds the
 * subscription id only, never the user id (the account may be gone by then).
 */
@Entity('cancellation_outbox')
@Index('IDX_cancellation_outbox_due', ['status', 'nextAttemptAt'])
export class CancellationOutbox {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  @Column({ type: 'varchar', length: 100 })
  subscriptionId!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: Col.timestamp })
  nextAttemptAt!: Date;

  /** A worker's claim: others skip the row until this time passes. */
  @Column({ type: Col.timestamp, nullable: true })
  claimedUntil!: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  claimedBy!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ type: Col.timestamp })
  createdAt!: Date;

  @Column({ type: Col.timestamp })
  updatedAt!: Date;

  @Column({ type: Col.timestamp, nullable: true })
  doneAt!: Date | null;
}
