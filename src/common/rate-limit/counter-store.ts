/**
 * Fixed-window counters shared by every instance that uses the same store. The login
 * limiter needs "how many failures so far" without counting a request, which the
 * throttler's storage (increment-only) cannot answer; so it has this small store,
 * in process by default and in Redis when REDIS_URL is set.
 */
export interface WindowCount {
  count: number;
  /** Milliseconds until the window ends (0 when there is no window). */
  msLeft: number;
}

export abstract class CounterStore {
  abstract peek(key: string): Promise<WindowCount>;
  abstract hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Takes back one hit (never below zero; the window keeps its end). */
  abstract release(key: string): Promise<void>;
  abstract clear(key: string): Promise<void>;
}

export class MemoryCounterStore extends CounterStore {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async peek(key: string): Promise<WindowCount> {
    const w = this.live(key);
    return w ? { count: w.count, msLeft: w.endsAt - this.now() } : { count: 0, msLeft: 0 };
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    this.sweep();
    const now = this.now();
    let w = this.live(key);
    if (!w) {
      w = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return { count: w.count, msLeft: w.endsAt - now };
  }

  async release(key: string): Promise<void> {
    const w = this.live(key);
    if (w && w.count > 0) w.count -= 1;
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
  }

  private live(key: string) {
    const w = this.windows.get(key);
    if (w && w.endsAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Drops ended windows now and then, so memory follows the attack, not history. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key);
  }
}
