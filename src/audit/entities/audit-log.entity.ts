import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import { Col, type JsonObject } from '../../database/column-types';
import type { AuditAction } from '../audit-actions';

/**
 * One audited action. `userId` is the subject (whose log shows it), `actorId` who did
 * it (the user, an administrator, or null for billing and internal calls).
 */
@Entity('audit_logs')
@Index('IDX_audit_logs_user_created', ['userId', 'createdAt', 'id'])
@Index('IDX_audit_logs_user_action_created', ['userId', 'action', 'createdAt', 'id'])
export class AuditLog {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  @Column({ type: Col.uuid, length: Col.uuidLength, nullable: true })
  userId!: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_audit_logs_user' })
  user?: User;

  @Column({ type: Col.uuid, length: Col.uuidLength, nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: AuditAction;

  @Column({ type: Col.json, nullable: true })
  data!: JsonObject | null;

  @Column({ type: Col.timestamp })
  createdAt!: Date;
}
