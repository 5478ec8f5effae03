import { performance } from 'node:perf_hooks';

export interface IdleCollectionOptions {
  /** The collector; by default `globalThis.gc`, which node exposes with --expose-gc (npm start). */
  gc?: () => void;
  /** When the first collection is due, after the call (default 1 s). */
  firstAfterMs?: number;
  /**
   * How long after the first the second is due (default 5.5 s). V8 judges the allocation
   * rate over at least the last 5 s of recorded time, so less would still see start-up.
   */
  secondAfterMs?: number;
  /** The share of each wait the event loop may have been busy for the process to count as idle. */
  idleBelow?: number;
  /**
   * How busy the event loop has been since a mark: by default Node's event-loop utilisation
   * (`performance.eventLoopUtilization`). Tests give their own, with fake timers.
   */
  loop?: LoopMeter;
}

export interface LoopMeter {
  mark(): unknown;
  /** The share (0..1) of the time since `mark` the event loop was busy. */
  busySince(mark: unknown): number;
}

const nodeLoop: LoopMeter = {
  mark: () => performance.eventLoopUtilization(),
  busySince: (mark) => performance.eventLoopUtilization(mark as ReturnType<typeof performance.eventLoopUtilization>).utilization,
};

/**
 * Start-up grows V8's young generation to its full size (2 × 16 MB here, ~26–29 MB
 * resident) and leaves it committed and empty; V8's memory reducer may give it back much
 * later, or not at all while the process stays idle. V8 shrinks the young generation on
 * a full collection when the allocation rate measured over the last 5 s is low, and it
 * measures between collections: so a first collection once start-up is over closes the
 * start-up period, and a second one more than 5 s later, with the service idle in
 * between, shrinks it (a single collection, whenever made, did not: start-up allocation
 * was still in its window). Measured: idle RSS 10 s after start 132 → 106 MB.
 * Each step runs only if the event loop stayed idle meanwhile: under traffic nothing is
 * done, V8 sizes the heap for the load itself. Returns whether anything was scheduled
 * (nothing without a collector).
 */
export function collectStartupGarbageWhenIdle(options: IdleCollectionOptions = {}): boolean {
  const gc = options.gc ?? (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  const idleBelow = options.idleBelow ?? 0.1;
  const loop = options.loop ?? nodeLoop;
  const whenIdle = (afterMs: number, then?: () => void) => {
    const since = loop.mark();
    setTimeout(() => {
      if (loop.busySince(since) >= idleBelow) return;
      gc();
      then?.();
    }, afterMs).unref();
  };
  whenIdle(options.firstAfterMs ?? 1000, () => whenIdle(options.secondAfterMs ?? 5500));
  return true;
}
