import { collectStartupGarbageWhenIdle, type LoopMeter } from './startup-memory';

/**
 * Fake timers and a loop meter the test drives: whether the process "was busy" during a
 * wait is stated, not produced by burning CPU, so the outcome does not depend on how loaded
 * the machine running the tests is.
 */
class ScriptedLoop implements LoopMeter {
  /** The busy share the next check will report, per wait in order. */
  constructor(private readonly shares: number[]) {}
  marks = 0;
  mark(): unknown {
    return this.marks++;
  }
  busySince(mark: unknown): number {
    return this.shares[mark as number] ?? 0;
  }
}

describe('collectStartupGarbageWhenIdle', () => {
  const timing = { firstAfterMs: 1000, secondAfterMs: 5500, idleBelow: 0.1 };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('collects twice, the second time after the given gap, while the event loop stays idle', () => {
    const gc = jest.fn();
    const loop = new ScriptedLoop([0.01, 0.02]);
    expect(collectStartupGarbageWhenIdle({ gc, loop, ...timing })).toBe(true);
    jest.advanceTimersByTime(999);
    expect(gc).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(gc).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(5499);
    expect(gc).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    expect(gc).toHaveBeenCalledTimes(2);
    expect(loop.marks).toBe(2);
  });

  it('does nothing while the process is busy', () => {
    const gc = jest.fn();
    const loop = new ScriptedLoop([0.1]); // at the threshold counts as busy
    collectStartupGarbageWhenIdle({ gc, loop, ...timing });
    jest.advanceTimersByTime(60_000);
    expect(gc).not.toHaveBeenCalled();
    expect(loop.marks).toBe(1); // and schedules no second step
  });

  it('skips the second collection when traffic came in between', () => {
    const gc = jest.fn();
    collectStartupGarbageWhenIdle({ gc, loop: new ScriptedLoop([0, 0.6]), ...timing });
    jest.advanceTimersByTime(1000);
    expect(gc).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(60_000);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('measures with Node\'s event-loop utilisation by default (a share in 0..1)', () => {
    const idle = jest.fn();
    const never = jest.fn();
    // Below 1.01 every real share counts as idle; below 0, none does (NaN would pass as idle).
    collectStartupGarbageWhenIdle({ gc: idle, firstAfterMs: 10, secondAfterMs: 10, idleBelow: 1.01 });
    collectStartupGarbageWhenIdle({ gc: never, firstAfterMs: 10, secondAfterMs: 10, idleBelow: 0 });
    jest.advanceTimersByTime(20);
    expect(idle).toHaveBeenCalledTimes(2);
    expect(never).not.toHaveBeenCalled();
  });

  it('schedules nothing without a collector (node started without --expose-gc)', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(collectStartupGarbageWhenIdle()).toBe(false);
  });
});
