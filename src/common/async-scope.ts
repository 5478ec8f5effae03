import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A value carried by an async call chain (AsyncLocalStorage), with the storage enabled only
 * while a scope is open.
 *
 * Why: in Node 20, an enabled AsyncLocalStorage keeps async_hooks' init hook and promise
 * hooks on for the whole process, so every promise and async resource of every request
 * pays for propagation (~6 % of the CPU of a token check under load, bench/README.md "fifth
 * pass"), though only writes (the open transaction, the pending audit event) use a scope.
 * Once the last open scope ends the storage is disabled, and the hooks go with it when no
 * other storage is enabled; the next `run` enables it again (as the first one always did).
 *
 * A scope is open from `run` until the promise it returns settles, or from `open` until
 * its close function is called (an observable's teardown). Work a scope left running after
 * it ended (nothing in NullPass does) would see no value, as outside any scope.
 */
export class AsyncScope<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  private opened = 0;

  /** The value of the innermost open scope of this call chain, or undefined. */
  get current(): T | undefined {
    return this.storage.getStore();
  }

  /** Runs `fn` in a scope holding `value`, which ends when the promise `fn` returns settles. */
  run<R>(value: T, fn: () => Promise<R>): Promise<R> {
    let result!: Promise<R>;
    const close = this.open(value, () => {
      result = fn();
    });
    return result.finally(close);
  }

  /** Runs `fn` at once in a scope holding `value`, which stays open until the returned function is called. */
  open(value: T, fn: () => void): () => void {
    const close = this.enter();
    try {
      this.storage.run(value, fn);
    } catch (error) {
      close();
      throw error;
    }
    return close;
  }

  private enter(): () => void {
    this.opened++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      if (--this.opened === 0) this.storage.disable();
    };
  }
}
