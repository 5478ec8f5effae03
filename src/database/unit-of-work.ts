import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';

export type BeforeCommitHook = () => Promise<void>;

/**
 * The one way NullPass writes more than one row: `run()` opens a transaction (or joins
 * the open one) and, just before it commits, lets registered hooks write what belongs
 * to the same change; the audit trail is such a hook. So a handler's writes and its
 * audit event commit or roll back together.
 *
 * Rule (spec, Storage): nothing slow is awaited inside `run()` (no bcrypt, no HTTP, no
 * timer). Do that first, then open the transaction for the writes.
 */
@Injectable()
export class UnitOfWork {
  private readonly hooks: BeforeCommitHook[] = [];

  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** The entity manager of the open transaction, or the plain one outside a transaction. */
  get manager(): EntityManager {
    return this.txHost.tx;
  }

  get inTransaction(): boolean {
    return this.txHost.isTransactionActive();
  }

  onBeforeCommit(hook: BeforeCommitHook): void {
    this.hooks.push(hook);
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.txHost.isTransactionActive()) return work(this.txHost.tx);
    return this.txHost.withTransaction(async () => {
      const result = await work(this.txHost.tx);
      for (const hook of this.hooks) await hook();
      return result;
    });
  }
}
