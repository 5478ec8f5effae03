import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';
import { User } from './user.entity';

/** One 2FA recovery code, stored as an HMAC; using it deletes the row (single use). */
@Entity('recovery_codes')
@Index('UQ_recovery_codes_user_hash', ['userId', 'codeHash'], { unique: true })
export class RecoveryCode {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  @Column({ type: Col.uuid, length: Col.uuidLength })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_recovery_codes_user' })
  user?: User;

  @Column({ type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ type: Col.timestamp })
  createdAt!: Date;
}
