import fc from 'fast-check';
import { eventDataJson, readable } from './audit-query.service';

/**
 * jsonb's text of a JSON value, as PostgreSQL writes it (jsonb_out): an object's keys shortest
 * first (by UTF-8 length, then bytes), ": " after a key and ", " between members. test/
 * audit-data.e2e-spec.ts reads PostgreSQL's own text; this states the same for any value.
 */
function jsonbText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((value as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** A stand-in for DataProtector.open: what it was given, opened or not, and how often. */
function opener() {
  const calls: string[] = [];
  const open = (sealed: string): string | null => {
    calls.push(sealed);
    return sealed.startsWith('v1:') ? `203.0.113.${sealed.length}` : null;
  };
  return { open, calls };
}

describe('eventDataJson (an event\'s data from the database\'s JSON text, parsed only to open an IP)', () => {
  // Top-level ip values of every kind, beside keys that sort before "ip" and ones after it.
  const ip = fc.oneof(
    fc.constantFrom('v1:AAAA', 'v1:a"b', 'v1:a\\b', '', 'not-sealed', 'v1:ünï', 'v1:'),
    fc.string().map((s) => `v1:${s}`),
    fc.jsonValue(),
  );
  const data = fc.oneof(
    fc.record({ ip, rest: fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) }).map(({ ip, rest }) => Object.assign({}, rest, { ip })),
    fc.dictionary(fc.constantFrom('ip', 'old', 'a', '', 'note'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ ip }))),
    fc.jsonValue({ maxDepth: 3 }),
  );

  // PostgreSQL's text (jsonb), and SQLite's (simple-json: JSON.stringify, keys in the order written)
  it.each([
    ['jsonb', jsonbText],
    ['JSON.stringify', (value: unknown) => JSON.stringify(value)],
  ])('answers what readable() answers of the parsed data, opening only a top-level string ip, once (%s text)', (_, render) => {
    fc.assert(
      fc.property(data, (value) => {
        const text = render(value);
        const fast = opener();
        const slow = opener();
        const answered = eventDataJson(text, fast.open);
        expect(JSON.parse(answered)).toEqual(readable(JSON.parse(text), slow.open));
        expect(fast.calls).toEqual(slow.calls);
      }),
      { numRuns: 3000 },
    );
  });

  it('answers jsonb\'s own text, unparsed, when it has nothing to open', () => {
    const text = '{"n": 12345678901234567890, "note": "a \\"quoted\\" ip"}';
    expect(eventDataJson(text, opener().open)).toBe(text);
    expect(eventDataJson(null, opener().open)).toBe('{}');
    expect(eventDataJson('{"ip": "v1:AAAA", "twoFactorUsed": false}', opener().open)).toBe('{"ip":"203.0.113.7", "twoFactorUsed": false}');
    expect(eventDataJson('{"ip":"v1:AAAA","twoFactorUsed":false}', opener().open)).toBe('{"ip":"203.0.113.7","twoFactorUsed":false}');
  });
});
