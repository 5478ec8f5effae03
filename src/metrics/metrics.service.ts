import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { CancellationOutbox } from '../billing/entities/cancellation-outbox.entity';
import { LoginOutcome, METRIC } from './metrics';

/** What other modules record; a thin typed face over the prom-client metrics. */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);

  constructor(
    @InjectMetric(METRIC.logins) private readonly logins: Counter<string>,
    @InjectMetric(METRIC.rateLimited) private readonly rateLimited: Counter<string>,
    @InjectMetric(METRIC.outboxBacklog) private readonly backlog: Gauge<string>,
    @InjectMetric(METRIC.outboxFailures) private readonly outboxFailures: Counter<string>,
    @InjectMetric(METRIC.outboxDead) private readonly outboxDead: Counter<string>,
    private readonly dataSource: DataSource,
  ) {}

  login(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  rateLimit(limit: string): void {
    this.rateLimited.inc({ limit });
  }

  outboxFailure(): void {
    this.outboxFailures.inc();
  }

  outboxGaveUp(): void {
    this.outboxDead.inc();
  }

  /** The backlog is read from the database at scrape time, so every instance reports it right. */
  async refreshGauges(): Promise<void> {
    try {
      this.backlog.set(await this.dataSource.getRepository(CancellationOutbox).countBy({ status: 'pending' }));
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not read the outbox backlog');
    }
  }
}
