import { createHmac } from 'node:crypto';
import { verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS } from './webhook-signature';

/**
 * Polar's SDK (validateEvent) hands the Standard Webhooks class the base64 of the
 * secret's UTF-8 bytes, so the HMAC key is exactly those bytes. The fixed vector below
 * was computed independently with
 *   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
 *     | openssl dgst -sha256 -hmac 'polar-secret-for-drop' -binary | base64
 */
describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"test": 2432232314}');
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = '1614265330';
  const nowMs = Number(timestamp) * 1000;
  const secret = 'polar-secret-for-drop';
  const sign = (key: string, at = timestamp, msgId = id, raw: Buffer = body) =>
    `v1,${createHmac('sha256', Buffer.from(key, 'utf8')).update(`${msgId}.${at}.`).update(raw).digest('base64')}`;

  it('accepts the independently computed signature of a known delivery', () => {
    const signature = 'v1,wRzL3i4cvXEc+macVBOLw8Xg0EK4GpOqgffFOLWl9F0=';
    expect(verifyWebhookSignature(body, { id, timestamp, signature }, secret, nowMs)).toBe(true);
  });

  it('accepts a signature made with the secret’s UTF-8 bytes', () => {
    expect(verifyWebhookSignature(body, { id, timestamp, signature: sign(secret) }, secret, nowMs)).toBe(true);
  });

  it('accepts when any one of several v1 entries matches', () => {
    const signature = `v1,AAAA v2,${sign(secret).slice(3)} ${sign('old-secret')} ${sign(secret)}`;
    expect(verifyWebhookSignature(body, { id, timestamp, signature }, secret, nowMs)).toBe(true);
  });

  it.each([
    ['another secret', { signature: sign('another') }],
    ['another id', { signature: sign(secret, timestamp, 'msg_other') }],
    ['another timestamp', { signature: sign(secret, '1614265331') }],
    ['a v2 entry only', { signature: sign(secret).replace('v1,', 'v2,') }],
    ['no comma', { signature: sign(secret).replace('v1,', 'v1') }],
    ['missing id', { id: undefined }],
    ['missing timestamp', { timestamp: undefined }],
    ['missing signature', { signature: undefined }],
    ['a non-numeric timestamp', { timestamp: '1614265330.0' }],
  ])('refuses %s', (_name, override) => {
    const headers = { id, timestamp, signature: sign(secret), ...override };
    expect(verifyWebhookSignature(body, headers, secret, nowMs)).toBe(false);
  });

  it('refuses an altered body', () => {
    expect(verifyWebhookSignature(Buffer.from('{"test": 2432232315}'), { id, timestamp, signature: sign(secret) }, secret, nowMs)).toBe(false);
  });

  it('refuses when no secret is configured', () => {
    expect(verifyWebhookSignature(body, { id, timestamp, signature: sign(secret) }, undefined, nowMs)).toBe(false);
    expect(verifyWebhookSignature(body, { id, timestamp, signature: sign('') }, '', nowMs)).toBe(false);
  });

  it('allows five minutes of clock difference either way, and not a second more', () => {
    const headers = { id, timestamp, signature: sign(secret) };
    const limit = WEBHOOK_TOLERANCE_SECONDS * 1000;
    expect(verifyWebhookSignature(body, headers, secret, nowMs + limit)).toBe(true);
    expect(verifyWebhookSignature(body, headers, secret, nowMs - limit)).toBe(true);
    expect(verifyWebhookSignature(body, headers, secret, nowMs + limit + 1000)).toBe(false);
    expect(verifyWebhookSignature(body, headers, secret, nowMs - limit - 1000)).toBe(false);
  });
});
