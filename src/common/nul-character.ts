/**
 * PostgreSQL cannot store U+0000 in text or jsonb (it answers an error: a 500), and no
 * field of this API has a use for it, so input that holds one is refused as a 400.
 * In JSON it can only appear escaped (a raw NUL byte is already invalid JSON).
 */
const NUL_ESCAPE = Buffer.from('\\u0000');

export function jsonHasNul(raw: Buffer): boolean {
  return raw.includes(NUL_ESCAPE);
}

export function urlHasNul(url: string): boolean {
  return url.includes('%00');
}
