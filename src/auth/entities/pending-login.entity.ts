import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';
import { User } from './user.entity';

/**
 * A 2FA pending token, recorded by the hash of its jti so that "spent by a success or
 * by its fifth wrong code" holds on every instance (flaw 2).
 */
@Entity('pending_logins')
@Index('IDX_pending_logins_expires_at', ['expiresAt'])
export class PendingLogin {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jtiHash!: string;

  @Column({ type: Col.uuid, length: Col.uuidLength })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_pending_logins_user' })
  user?: User;

  @Column({ type: 'integer', default: 0 })
  failedAttempts!: number;

  @Column({ type: Col.timestamp, nullable: true })
  spentAt!: Date | null;

  @Column({ type: Col.timestamp })
  expiresAt!: Date;
}
