import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Col } from '../../database/column-types';

/** A processed `webhook-id`: written in the same transaction as the event's effect. */
@Entity('webhook_events')
export class WebhookEvent {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  service!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: Col.timestamp })
  receivedAt!: Date;
}
