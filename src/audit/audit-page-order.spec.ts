import fc from 'fast-check';
import { newestFirst } from './audit-query.service';

/** A page's row as the statements give it: id, action, data, created_at (raw), … */
const rowOf = (id: string): unknown[] => [id, 'USER_LOGIN', null, 'raw'];

/** PostgreSQL's order of the page: created_at, then id (as bytes), both descending. */
function expectedOrder(events: Array<{ at: string; id: string }>): number[] {
  const key = (i: number) => `${events[i].at}|${Buffer.from(events[i].id.replace(/-/g, ''), 'hex').toString('hex')}`;
  return events.map((_, i) => i).sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}

describe('newestFirst (the batch statement leaves the page order to its plan)', () => {
  // A few instants, so that events often share one and their ids decide.
  const event = fc.record({
    at: fc.constantFrom('2026-12-05T10:00:00.000Z', '2026-12-05T10:00:00.001Z', '2026-12-05T09:59:59.999Z', '2025-01-31T23:00:00.500Z'),
    id: fc.uuid(),
  });
  const events = fc.uniqueArray(event, { minLength: 0, maxLength: 60, selector: (e) => e.id });

  it('puts any order of the rows newest first, ties by id descending', () => {
    fc.assert(
      fc.property(events, (list) => {
        const expected = expectedOrder(list);
        const order = newestFirst(list.map((e) => rowOf(e.id)), list.map((e) => e.at));
        expect(order ?? list.map((_, i) => i)).toEqual(expected);
      }),
      { seed: 20261206, numRuns: 2000 },
    );
  });

  it('returns null, and sorts nothing, when the rows are already newest first', () => {
    fc.assert(
      fc.property(events, (list) => {
        const sorted = expectedOrder(list).map((i) => list[i]);
        expect(newestFirst(sorted.map((e) => rowOf(e.id)), sorted.map((e) => e.at))).toBeNull();
      }),
      { seed: 20261206, numRuns: 500 },
    );
  });

  it('reorders a page whose rows came oldest first', () => {
    const rows = [rowOf('00000000-0000-4000-8000-000000000001'), rowOf('00000000-0000-4000-8000-000000000002'), rowOf('00000000-0000-4000-8000-000000000003')];
    const at = ['2026-12-05T10:00:00.000Z', '2026-12-05T10:00:00.000Z', '2026-12-05T10:00:01.000Z'];
    expect(newestFirst(rows, at)).toEqual([2, 1, 0]);
  });
});
