import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';
import { User } from './user.entity';

/**
 * A login. The bearer token names it (`sid`); the row holds only a hash of the
 * token id, never a token, and the IP only sealed plus its blind index.
 */
@Entity('sessions')
@Index('IDX_sessions_user_ip', ['userId', 'ipIndex'])
@Index('IDX_sessions_expires_at', ['expiresAt'])
export class Session {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  @Column({ type: Col.uuid, length: Col.uuidLength })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user' })
  user?: User;

  @Column({ type: 'varchar', length: 64 })
  jtiHash!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  ipEncrypted!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ipIndex!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: Col.timestamp })
  createdAt!: Date;

  @Column({ type: Col.timestamp })
  lastUsedAt!: Date;

  @Column({ type: Col.timestamp })
  expiresAt!: Date;
}
