import { createHash, hash, timingSafeEqual } from 'node:crypto';

/** One-shot (crypto.hash): no Hash object per call; it runs on every token check. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** Constant-time equality for secrets of any length (an unset expected value never matches). */
export function safeEqual(given: string | undefined | null, expected: string | undefined | null): boolean {
  if (!given || !expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
