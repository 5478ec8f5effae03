import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';

/**
 * What survives an account deletion (flaw 7): the USER_DELETE record with the user id,
 * the time and an HMAC of the email. Nothing else personal, no foreign key.
 */
@Entity('deletion_ledger')
@Index('IDX_deletion_ledger_user', ['userId'])
export class DeletionLedgerEntry {
  @PrimaryColumn({ type: Col.uuid, length: Col.uuidLength })
  id: string = randomUUID();

  @Column({ type: Col.uuid, length: Col.uuidLength })
  userId!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: 'USER_DELETE';

  @Column({ type: 'varchar', length: 64 })
  emailHmac!: string;

  @Column({ type: Col.timestamp })
  deletedAt!: Date;
}
