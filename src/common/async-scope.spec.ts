import { executionAsyncId } from 'node:async_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AsyncScope } from './async-scope';

/**
 * Whether async_hooks' promise hooks are on in this process: with them, each awaited
 * continuation runs in an async resource of its own; without, in the same (id 0).
 */
async function promiseHooksOn(): Promise<boolean> {
  await null;
  const first = executionAsyncId();
  await null;
  return executionAsyncId() !== first;
}

describe('AsyncScope', () => {
  it('carries its value through awaits and timers, and has none outside', async () => {
    const scope = new AsyncScope<string>();
    expect(scope.current).toBeUndefined();
    const seen = await scope.run('a', async () => {
      await null;
      const afterAwait = scope.current;
      await nextTurn();
      return [afterAwait, scope.current];
    });
    expect(seen).toEqual(['a', 'a']);
    expect(scope.current).toBeUndefined();
  });

  it('keeps concurrent scopes apart', async () => {
    const scope = new AsyncScope<number>();
    const inScope = (n: number) =>
      scope.run(n, async () => {
        await nextTurn();
        await null;
        return scope.current;
      });
    await expect(Promise.all([inScope(1), inScope(2), inScope(3)])).resolves.toEqual([1, 2, 3]);
  });

  /** Whether the scope's own storage is enabled (Node's AsyncLocalStorage keeps it in `enabled`). */
  const enabled = (scope: AsyncScope<unknown>) => (scope['storage'] as unknown as { enabled: boolean }).enabled;

  it('disables its storage once no scope is open, and enables it again for the next', async () => {
    const scope = new AsyncScope<string>();
    let release!: () => void;
    const held = scope.run('held', () => new Promise<void>((resolve) => (release = resolve)));
    await scope.run('other', async () => {
      await null;
      expect(enabled(scope)).toBe(true);
    });
    // one scope still open: the storage stays enabled, and that scope still sees its value
    expect(enabled(scope)).toBe(true);
    release();
    await held;
    expect(enabled(scope)).toBe(false);
    await expect(scope.run('again', async () => (await null) ?? scope.current)).resolves.toBe('again');
    expect(enabled(scope)).toBe(false);
  });

  it('leaves the process without promise hooks once its scopes end (when no other storage is enabled)', async () => {
    // In `npm test` other suites share this process (jest --runInBand), and a storage they
    // enabled and never disabled (nestjs-pino's) keeps the hooks on: then there is nothing to see here.
    if (await promiseHooksOn()) return;
    const scope = new AsyncScope<string>();
    await scope.run('x', async () => {
      expect(await promiseHooksOn()).toBe(true);
    });
    expect(await promiseHooksOn()).toBe(false);
  });

  it('ends a scope whose work fails, or throws before returning a promise', async () => {
    const scope = new AsyncScope<string>();
    await expect(
      scope.run('x', async () => {
        await null;
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(() =>
      scope.run('y', () => {
        throw new Error('at once');
      }),
    ).toThrow('at once');
    expect(enabled(scope)).toBe(false);
  });

  it('open() runs at once and keeps the value until its close function is called (once)', async () => {
    const scope = new AsyncScope<string>();
    let later: Promise<string | undefined> | undefined;
    const close = scope.open('sub', () => {
      later = (async () => {
        await nextTurn();
        return scope.current;
      })();
    });
    await expect(later).resolves.toBe('sub');
    expect(enabled(scope)).toBe(true);
    close();
    close();
    expect(enabled(scope)).toBe(false);
    expect(scope.current).toBeUndefined();
  });
});
