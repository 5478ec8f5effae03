import { performance } from 'node:perf_hooks';

export interface IdleCollectionOptions {
  /** How long after the call to look (default 5 s: V8 measures allocation over the last 5 s). */
  delayMs?: number;
  /** The collector; by default `globalThis.gc`, which node exposes with --expose-gc (npm start). */
  gc?: () => void;
  /** The share of that time the event loop may have been busy for the process to count as idle. */
  idleBelow?: number;
}

/**
 * Start-up grows V8's young generation to its full size (2 × 16 MB here, ~28 MB resident)
 * and leaves it committed, empty, until V8's memory reducer gets to it about 30 s later.
 * One full collection once the process is idle gives it back now: a collection while the
 * allocation rate is low shrinks the young generation (measured: 132 → 106 MB RSS 10 s
 * after start). Under traffic nothing is done; V8 sizes the heap for the load itself.
 * Returns whether a collection was scheduled (not without a collector).
 */
export function collectStartupGarbageWhenIdle(options: IdleCollectionOptions = {}): boolean {
  const gc = options.gc ?? (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  const since = performance.eventLoopUtilization();
  setTimeout(() => {
    if (performance.eventLoopUtilization(since).utilization < (options.idleBelow ?? 0.1)) gc();
  }, options.delayMs ?? 5000).unref();
  return true;
}
