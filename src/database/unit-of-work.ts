import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AsyncScope } from '../common/async-scope';

export type BeforeCommitHook = () => Promise<void>;

/**
 * The one way NullPass writes more than one row: `run()` opens a transaction (or joins
 * the open one) and, just before it commits, lets registered hooks write what belongs
 * to the same change; the audit trail is such a hook. So a handler's writes and its
 * audit event commit or roll back together.
 *
 * The open transaction's entity manager travels with the async call chain
 * (AsyncLocalStorage, the NestJS "Async Local Storage" recipe for a transaction object, in
 * an AsyncScope: enabled only while a transaction is open), so services reach it through
 * `manager` without passing it around. Nothing is set up per request: reads outside
 * `run()` use the data source's manager directly.
 *
 * TypeORM's better-sqlite3 driver has ONE connection: two overlapping
 * `dataSource.transaction()` calls would silently nest as savepoints of each other, so
 * on SQLite transactions are queued one after another (spec, Storage). PostgreSQL uses
 * the pool and is left alone.
 *
 * Rule (spec, Storage): nothing slow is awaited inside `run()` (no bcrypt, no HTTP, no
 * timer). Do that first, then open the transaction for the writes.
 */
@Injectable()
export class UnitOfWork {
  private readonly hooks: BeforeCommitHook[] = [];
  private readonly open = new AsyncScope<EntityManager>();
  private readonly serialized: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {
    this.serialized = dataSource.options.type === 'better-sqlite3';
  }

  /** The entity manager of the open transaction, or the plain one outside a transaction. */
  get manager(): EntityManager {
    return this.open.current ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.open.current !== undefined;
  }

  onBeforeCommit(hook: BeforeCommitHook): void {
    this.hooks.push(hook);
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const current = this.open.current;
    if (current) return work(current);
    const transaction = () =>
      this.dataSource.transaction((manager) =>
        this.open.run(manager, async () => {
          const result = await work(manager);
          for (const hook of this.hooks) await hook();
          return result;
        }),
      );
    if (!this.serialized) return transaction();
    const turn = this.queue.then(transaction);
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
