/** The first retry comes within this long after a failed delivery. */
export const FIRST_RETRY_MS = 5_000;
/** Retries never wait longer than this. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** After this many failed attempts a row is dead (spec, Account). */
export const MAX_ATTEMPTS = 20;
/** Polar answers that will not change by retrying. */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 422]);

/**
 * Exponential backoff after the n-th failed attempt (n >= 1): 5 s, 10 s, 20 s, … capped
 * at 5 minutes, less up to 20 % of jitter (never more), so that instances that failed
 * together do not retry together and the bounds above hold.
 */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(failedAttempts - 1, 30));
  const nominal = Math.min(FIRST_RETRY_MS * 2 ** exponent, MAX_RETRY_DELAY_MS);
  return Math.round(nominal * (1 - 0.2 * random()));
}
