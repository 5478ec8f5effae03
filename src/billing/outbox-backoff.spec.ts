import { FIRST_RETRY_MS, MAX_RETRY_DELAY_MS, retryDelayMs } from './outbox-backoff';

describe('retryDelayMs', () => {
  const none = () => 0;
  const most = () => 0.999999;

  it('retries first within 5 s, then doubles', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, none))).toEqual([5_000, 10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(1, most)).toBeLessThanOrEqual(FIRST_RETRY_MS);
    expect(retryDelayMs(1, most)).toBeGreaterThanOrEqual(FIRST_RETRY_MS * 0.8);
  });

  it('never waits longer than 5 minutes, however many attempts failed', () => {
    for (const n of [7, 8, 19, 20, 100, 10_000]) {
      expect(retryDelayMs(n, none)).toBe(MAX_RETRY_DELAY_MS);
      expect(retryDelayMs(n, Math.random)).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
    }
  });

  it('jitters downwards only, by at most a fifth', () => {
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(3);
      expect(d).toBeGreaterThanOrEqual(16_000);
      expect(d).toBeLessThanOrEqual(20_000);
    }
  });

  it('grows strictly from one attempt to the next until the cap, even with jitter', () => {
    for (let n = 1; n < 7; n++) expect(retryDelayMs(n + 1, most)).toBeGreaterThan(retryDelayMs(n, none));
  });
});
