import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { polarConfig } from '../config/configuration';
import { UnitOfWork } from '../database/unit-of-work';
import { MetricsService } from '../metrics/metrics.service';
import { CancellationOutbox } from './entities/cancellation-outbox.entity';
import { MAX_ATTEMPTS, PERMANENT_STATUSES, retryDelayMs } from './outbox-backoff';
import { PolarClient, PolarError } from './polar.client';

const INTERVAL_NAME = 'cancellation-outbox';
/** Rows one pass delivers at most (the next poll continues). */
const MAX_ROWS_PER_PASS = 100;
/** How long a claim outlives the delivery's own timeout before another worker may retry. */
const CLAIM_MARGIN_MS = 30_000;

type Outcome = { result: 'done'; note?: string } | { result: 'retry' | 'dead'; error: string };

export interface OutboxStats {
  /** Cancellations Polar confirmed (or had nothing to cancel: 404, already canceled). */
  delivered: number;
  /** Failed attempts that will be retried. */
  retried: number;
  /** Rows given up on (permanent 4xx or too many attempts): an operator must look. */
  dead: number;
}

/**
 * Delivers the cancellation outbox to Polar (flaw 8): `DELETE /v1/subscriptions/{id}` for
 * every due row, at least once and idempotently (404 and "already canceled" count as
 * done), with exponential backoff, across restarts (the state is the table), one worker
 * per row even with several instances: a row is claimed in a short transaction (on
 * PostgreSQL `FOR UPDATE SKIP LOCKED`, on SQLite one UPDATE of the claim columns) and
 * delivered outside any transaction.
 */
@Injectable()
export class CancellationOutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CancellationOutboxWorker.name);
  private readonly workerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(-64);
  private readonly counters: OutboxStats = { delivered: 0, retried: 0, dead: 0 };
  private readonly postgres: boolean;
  private pass: Promise<number> | null = null;
  private stopping = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly polar: PolarClient,
    private readonly scheduler: SchedulerRegistry,
    dataSource: DataSource,
    @Inject(polarConfig.KEY) private readonly config: ConfigType<typeof polarConfig>,
    private readonly metrics: MetricsService,
  ) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  /** Counters since start, for metrics. */
  get stats(): Readonly<OutboxStats> {
    return { ...this.counters };
  }

  /** Dead rows in the table (all instances, across restarts), for metrics and operators. */
  deadCount(): Promise<number> {
    return this.uow.manager.getRepository(CancellationOutbox).count({ where: { status: 'dead' } });
  }

  onApplicationBootstrap(): void {
    if (!this.polar.configured) {
      this.logger.log('cancellation outbox idle: POLAR_ACCESS_TOKEN is not set');
      return;
    }
    const handle = setInterval(() => {
      if (!this.pass) this.deliverDue().catch((error: unknown) => this.logger.error({ err: (error as Error).message }, 'outbox pass failed'));
    }, this.config.outboxPollMs);
    handle.unref();
    this.scheduler.addInterval(INTERVAL_NAME, handle);
  }

  /** Stops polling, and lets the delivery in progress finish and record its outcome. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.pass?.catch(() => undefined);
  }

  /**
   * One pass: claims and delivers due rows one at a time until none is left (or the
   * app stops). Returns how many rows it attempted. Passes of one instance never overlap.
   */
  deliverDue(): Promise<number> {
    const previous = this.pass ?? Promise.resolve(0);
    const run = previous.catch(() => 0).then(() => this.runPass());
    this.pass = run;
    const clear = () => {
      if (this.pass === run) this.pass = null;
    };
    run.then(clear, clear);
    return run;
  }

  private async runPass(): Promise<number> {
    if (!this.polar.configured) return 0;
    let attempted = 0;
    while (!this.stopping && attempted < MAX_ROWS_PER_PASS) {
      const row = await this.claimNext();
      if (!row) break;
      await this.deliver(row);
      attempted += 1;
    }
    return attempted;
  }

  /** The next due row, claimed for this worker; null when none is left. */
  private claimNext(): Promise<CancellationOutbox | null> {
    const now = this.clock.now();
    const claim = {
      claimedUntil: new Date(now.getTime() + this.config.timeoutMs + CLAIM_MARGIN_MS),
      claimedBy: this.workerId,
      updatedAt: now,
    };
    const due = (alias: string) =>
      `${alias}.status = :pending AND ${alias}.nextAttemptAt <= :now AND (${alias}.claimedUntil IS NULL OR ${alias}.claimedUntil < :now)`;
    return this.uow.run(async (m) => {
      const repo = m.getRepository(CancellationOutbox);
      if (this.postgres) {
        // Rows another worker is claiming are skipped, not waited for.
        const row = await repo
          .createQueryBuilder('o')
          .where(due('o'), { pending: 'pending', now })
          .orderBy('o.nextAttemptAt', 'ASC')
          .limit(1)
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .getOne();
        if (!row) return null;
        await repo.update({ id: row.id }, claim);
        return Object.assign(row, claim);
      }
      // SQLite: one UPDATE picks and claims the row. A write statement takes the database's
      // write lock before it reads, so two instances cannot claim the same row, and no
      // read lock is ever upgraded (which SQLite would refuse with SQLITE_BUSY).
      const next = repo.createQueryBuilder('d').select('d.id').where(due('d')).orderBy('d.nextAttemptAt', 'ASC').limit(1).getQuery();
      const claimed = await repo
        .createQueryBuilder()
        .update()
        .set(claim)
        .where(`id = (${next})`)
        .setParameters({ pending: 'pending', now })
        .execute();
      if (!claimed.affected) return null;
      return repo.findOne({ where: { status: 'pending', claimedBy: claim.claimedBy, claimedUntil: claim.claimedUntil } });
    });
  }

  /** Calls Polar (outside any transaction), then records the outcome. */
  private async deliver(row: CancellationOutbox): Promise<void> {
    const outcome = await this.call(row.subscriptionId);
    const attempts = row.attempts + 1;
    const now = this.clock.now();
    const log = { outboxId: row.id, subscriptionId: row.subscriptionId, attempts };
    let fields: Partial<CancellationOutbox>;
    if (outcome.result === 'done') {
      fields = { status: 'done', doneAt: now, lastError: outcome.note ?? null };
      this.counters.delivered += 1;
      this.logger.log(Object.assign({}, log, { note: outcome.note }), 'Polar subscription cancelled');
    } else if (outcome.result === 'dead' || attempts >= MAX_ATTEMPTS) {
      fields = { status: 'dead', lastError: outcome.error };
      this.counters.dead += 1;
      this.metrics.outboxGaveUp();
      this.logger.error(Object.assign({}, log, { error: outcome.error }), 'Polar subscription cancellation given up: needs an operator');
    } else {
      const nextAttemptAt = new Date(now.getTime() + retryDelayMs(attempts));
      fields = { nextAttemptAt, lastError: outcome.error };
      this.counters.retried += 1;
      this.metrics.outboxFailure();
      this.logger.warn(Object.assign({}, log, { error: outcome.error, nextAttemptAt: nextAttemptAt.toISOString() }), 'Polar subscription cancellation will be retried');
    }
    try {
      await this.uow.run((m) =>
        m
          .getRepository(CancellationOutbox)
          .update({ id: row.id, status: 'pending' }, Object.assign({}, fields, { attempts, claimedUntil: null, claimedBy: null, updatedAt: now })),
      );
    } catch (error) {
      // The claim expires and the row is delivered again: Polar's 404/already-canceled
      // answers make that harmless.
      this.logger.error(Object.assign({}, log, { err: (error as Error).message }), 'could not record the outbox outcome');
    }
  }

  private async call(subscriptionId: string): Promise<Outcome> {
    try {
      await this.polar.revokeSubscription(subscriptionId);
      return { result: 'done' };
    } catch (error) {
      if (!(error instanceof PolarError)) return { result: 'retry', error: 'unexpected error' };
      if (error.kind === 'http' && error.status === 404) return { result: 'done', note: 'Polar: no such subscription (404)' };
      if (error.kind === 'http' && error.alreadyCanceled) return { result: 'done', note: 'Polar: already canceled' };
      if (error.kind === 'http' && PERMANENT_STATUSES.has(error.status ?? 0)) return { result: 'dead', error: error.message.slice(0, 500) };
      return { result: 'retry', error: error.message.slice(0, 500) };
    }
  }
}
