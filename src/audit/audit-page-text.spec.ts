import fc from 'fast-check';
import { auditPageSqliteSql, eventsOf } from './audit-query.service';

/** A page's text as both databases join it: every field of every event separated by U+0001. */
const pageText = (events: string[][]): string | null => (events.length ? events.map((fields) => fields.join('\u0001')).join('\u0001') : null);

describe('eventsOf (a page\'s events, joined into one text by the database)', () => {
  // Fields as the statements give them: no U+0001 in any (JSON escapes it; ids and times have none).
  const field = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0001'));
  const event = fc.tuple(fc.uuid(), field.map((s) => JSON.stringify(s)), fc.oneof(fc.constant(''), fc.json()), field);

  it('gives back each event\'s four fields, in order', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        expect(eventsOf(pageText(events))).toEqual(events);
      }),
    );
  });

  it('reads null as a page without events', () => {
    expect(eventsOf(null)).toEqual([]);
  });

  it('refuses a text whose fields do not make whole events', () => {
    expect(() => eventsOf('id\u0001"USER_LOGIN"\u0001{}')).toThrow('audit page text has 3 fields, not 4 an event');
    expect(() => eventsOf(`${pageText([['a', '"B"', '', 't']])}\u0001extra`)).toThrow('5 fields');
  });
});

describe('auditPageSqliteSql (SQLite\'s page statement)', () => {
  // A bare `LIMIT ?` is read by SQLite's planner (sqlite3ExprIsInteger), which makes every new
  // binding prepare the statement again: ~30 % of its instructions under callgrind.
  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('with action %s, by cursor %s: takes its limit as an expression the planner does not read', (withAction, byCursor) => {
    const sql = auditPageSqliteSql(withAction, byCursor);
    expect(sql).toContain('LIMIT CAST(? AS INTEGER) OFFSET ?');
    expect(sql).not.toMatch(/LIMIT \?/);
  });
});
