import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks: a delivery older or newer than this is refused (replay window). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
/** The longest webhook-id we store (webhook_events.id). */
export const WEBHOOK_ID_MAX_LENGTH = 255;

export interface WebhookHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

/**
 * Standard Webhooks verification as Polar's SDK does it (validateEvent): HMAC-SHA256
 * keyed with the UTF-8 bytes of the secret, over `${webhook-id}.${webhook-timestamp}.${body}`
 * with the body's exact bytes; `webhook-signature` holds space-separated `v1,<base64>`
 * entries (several during a secret rotation) and any one matching is enough. Missing
 * headers, an unset secret or a timestamp outside the tolerance are a bad signature.
 */
export function verifyWebhookSignature(rawBody: Buffer, headers: WebhookHeaders, secret: string | undefined, nowMs: number): boolean {
  const { id, timestamp, signature } = headers;
  if (!secret || !id || !timestamp || !signature) return false;
  if (id.length > WEBHOOK_ID_MAX_LENGTH || !/^\d{1,15}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) return false;

  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.`).update(rawBody).digest();
  let matched = false;
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    // Every entry is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}
