import { collectStartupGarbageWhenIdle } from './startup-memory';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('collectStartupGarbageWhenIdle', () => {
  it('collects once when the event loop stayed idle', async () => {
    const gc = jest.fn();
    expect(collectStartupGarbageWhenIdle({ gc, delayMs: 200, idleBelow: 0.5 })).toBe(true);
    await wait(300);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('does nothing while the process is busy', async () => {
    const gc = jest.fn();
    collectStartupGarbageWhenIdle({ gc, delayMs: 200, idleBelow: 0.5 });
    // Keep the event loop busy for most of the window, as traffic would.
    const until = Date.now() + 180;
    while (Date.now() < until) Math.sqrt(Math.random());
    await wait(100);
    expect(gc).not.toHaveBeenCalled();
  });

  it('schedules nothing without a collector (node started without --expose-gc)', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(collectStartupGarbageWhenIdle()).toBe(false);
  });
});
