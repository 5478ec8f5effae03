import { collectStartupGarbageWhenIdle } from './startup-memory';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const busyFor = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) Math.sqrt(Math.random());
};

describe('collectStartupGarbageWhenIdle', () => {
  const timing = { firstAfterMs: 100, secondAfterMs: 150, idleBelow: 0.5 };

  it('collects twice, the second time after the given gap, while the event loop stays idle', async () => {
    const gc = jest.fn();
    expect(collectStartupGarbageWhenIdle({ gc, ...timing })).toBe(true);
    await wait(160);
    expect(gc).toHaveBeenCalledTimes(1);
    await wait(200);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('does nothing while the process is busy', async () => {
    const gc = jest.fn();
    collectStartupGarbageWhenIdle({ gc, ...timing });
    busyFor(90); // most of the first wait, as traffic would
    await wait(350);
    expect(gc).not.toHaveBeenCalled();
  });

  it('skips the second collection when traffic came in between', async () => {
    const gc = jest.fn();
    collectStartupGarbageWhenIdle({ gc, ...timing });
    await wait(120);
    expect(gc).toHaveBeenCalledTimes(1);
    busyFor(130);
    await wait(150);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('schedules nothing without a collector (node started without --expose-gc)', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(collectStartupGarbageWhenIdle()).toBe(false);
  });
});
