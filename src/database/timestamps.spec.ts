import fc from 'fast-check';
import { AbstractSqliteDriver } from 'typeorm/driver/sqlite-abstract/AbstractSqliteDriver';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { types as pgTypes } from 'pg';
import { pgTimestamptz, pgTimestamptzIso, sqliteTimestamp, sqliteTimestampIso } from './timestamps';

/** What TypeORM itself makes of a SQLite datetime column's value. */
const typeormTimestamp = (raw: string): Date =>
  AbstractSqliteDriver.prototype.prepareHydratedValue.call({}, raw, { type: 'datetime' } as ColumnMetadata) as Date;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('sqliteTimestamp', () => {
  it('reads the instant TypeORM reads, for every timestamp TypeORM writes (and sqliteTimestampIso its ISO)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
        // DateUtils.mixedDateToUtcDatetimeString's form: "YYYY-MM-DD HH:MM:SS.SSS", UTC
        const raw = date.toISOString().replace('T', ' ').replace('Z', '');
        expect(sqliteTimestamp(raw)?.getTime()).toBe(date.getTime());
        expect(typeormTimestamp(raw).getTime()).toBe(date.getTime());
        expect(sqliteTimestampIso(raw)).toBe(date.toISOString());
      }),
      { seed: 20261202, numRuns: 5000 },
    );
  });

  it('agrees with TypeORM on every field value of that form it takes, and leaves the rest to TypeORM', () => {
    fc.assert(
      fc.property(
        fc.record({
          year: fc.integer({ min: 0, max: 9999 }),
          month: fc.integer({ min: 0, max: 99 }),
          day: fc.integer({ min: 0, max: 99 }),
          hour: fc.integer({ min: 0, max: 99 }),
          minute: fc.integer({ min: 0, max: 99 }),
          second: fc.integer({ min: 0, max: 99 }),
          ms: fc.integer({ min: 0, max: 999 }),
        }),
        (f) => {
          const raw = `${pad(f.year, 4)}-${pad(f.month, 2)}-${pad(f.day, 2)} ${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}.${pad(f.ms, 3)}`;
          const fast = sqliteTimestamp(raw);
          // the ISO reader answers what toISOString() makes of it, days a month lacks included
          expect(sqliteTimestampIso(raw)).toBe(fast?.toISOString() ?? null);
          // out of range (month 13, minute 60, years before 1000): not taken, TypeORM reads it
          if (fast) expect(fast.getTime()).toBe(typeormTimestamp(raw).getTime());
          else expect(f.year < 1000 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 59).toBe(true);
        },
      ),
      { seed: 20261202, numRuns: 5000 },
    );
  });

  it('rolls a day past the month over as TypeORM does (2026-02-31 is 3 March)', () => {
    expect(sqliteTimestamp('2026-02-31 00:00:00.000')?.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(typeormTimestamp('2026-02-31 00:00:00.000').toISOString()).toBe('2026-03-03T00:00:00.000Z');
  });

  it('takes no other form: those stay TypeORM’s', () => {
    for (const raw of ['2026-12-02T10:27:56.695Z', '2026-12-02 10:27:56', '2026-12-02 10:27', '2026-12-02', '2026-12-02 10:27:56.695+01:00', ' 2026-12-02 10:27:56.695', '']) {
      expect(sqliteTimestamp(raw)).toBeNull();
    }
  });
});

/** What node-postgres itself makes of a timestamptz (oid 1184) in text form. */
const nodePostgresTimestamp = (raw: string): Date => pgTypes.getTypeParser(1184, 'text')(raw) as Date;

/** PostgreSQL's ISO output of a whole second plus micros at a UTC offset, its fraction trimmed of trailing zeros as PostgreSQL does. */
function pgText(secondMs: number, micros: number, offsetMinutes: number, offsetWithMinutes: boolean): string {
  const wall = new Date(secondMs + offsetMinutes * 60_000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  const fraction = pad(micros, 6).replace(/0+$/, '');
  const abs = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}${offsetWithMinutes || abs % 60 ? `:${pad(abs % 60, 2)}` : ''}`;
  return `${wall.slice(0, 10)} ${wall.slice(11, 19)}${fraction ? `.${fraction}` : ''}${zone}`;
}

describe('pgTimestamptz', () => {
  it('reads the instant node-postgres reads, for every fraction length and UTC offset PostgreSQL writes (and pgTimestamptzIso its ISO)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1001, 0, 2), max: Date.UTC(9998, 11, 30) }).map((ms) => Math.floor(ms / 1000) * 1000),
        fc.integer({ min: 0, max: 999_999 }),
        // half the cases in UTC, the form the service's connections get (pgTimestamptzIso's short path)
        fc.oneof(fc.constant(0), fc.integer({ min: -15 * 60 - 59, max: 15 * 60 + 59 })),
        fc.boolean(),
        (second, micros, offsetMinutes, offsetWithMinutes) => {
          const raw = pgText(second, micros, offsetMinutes, offsetWithMinutes);
          const expected = second + Math.floor(micros / 1000);
          expect(nodePostgresTimestamp(raw).getTime()).toBe(expected);
          expect(pgTimestamptz(raw)?.getTime()).toBe(expected);
          expect(pgTimestamptzIso(raw)).toBe(new Date(expected).toISOString());
        },
      ),
      { seed: 20261202, numRuns: 10_000 },
    );
  });

  it('agrees with node-postgres on every date of that form, a day its month does not have included (pgTimestamptzIso)', () => {
    fc.assert(
      fc.property(
        fc.record({
          year: fc.oneof(fc.integer({ min: 1000, max: 9999 }), fc.constantFrom(1600, 1900, 2000, 2024, 2026, 2100)),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 28, max: 31 })),
          fraction: fc.constantFrom('', '.1', '.12', '.123', '.1234', '.123456', '.999'),
        }),
        ({ year, month, day, fraction }) => {
          const raw = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} 23:59:59${fraction}+00`;
          expect(pgTimestamptzIso(raw)).toBe(nodePostgresTimestamp(raw).toISOString());
        },
      ),
      { seed: 20261206, numRuns: 5000 },
    );
  });

  it('reads the forms a session row really has', () => {
    for (const raw of ['2026-12-02 21:40:00+00', '2026-12-02 21:40:00.1+00', '2026-12-02 21:40:00.123456+00', '2026-12-02 23:10:00.5+01:30', '2026-12-01 20:40:00.999-01']) {
      expect(pgTimestamptz(raw)?.getTime()).toBe(nodePostgresTimestamp(raw).getTime());
    }
    expect(pgTimestamptz('2026-12-02 23:10:00.5+01:30')?.toISOString()).toBe('2026-12-02T21:40:00.500Z');
  });

  it('takes no other form: those stay node-postgres’s', () => {
    for (const raw of [
      'infinity',
      '-infinity',
      '2026-12-02 21:40:00+05:53:28',
      '0044-03-15 12:00:00+00 BC',
      '0099-01-01 00:00:00+00',
      'Wed Dec 02 21:40:00 2026 UTC',
      '2026-12-02T21:40:00.000Z',
      '2026-12-02 21:40:00',
      '2026-12-02 21:40:00.1234567+00',
      '2026-13-02 21:40:00+00',
      '',
    ]) {
      expect(pgTimestamptz(raw)).toBeNull();
    }
  });
});

describe('sqliteTimestampIso', () => {
  // Its property checks are in sqliteTimestamp's (every written timestamp, every field value).
  it('rolls an impossible day over as TypeORM does, and takes no other form', () => {
    expect(sqliteTimestampIso('2026-02-31 00:00:00.000')).toBe('2026-03-03T00:00:00.000Z');
    expect(sqliteTimestampIso('2026-12-02 10:27:56.695')).toBe('2026-12-02T10:27:56.695Z');
    expect(sqliteTimestampIso('2026-12-02T10:27:56.695Z')).toBeNull();
  });
});

describe('pgTimestamptzIso', () => {
  // Its property check is in pgTimestamptz's (every fraction length and offset).
  it('reads the forms an audit row really has, and takes no other', () => {
    expect(pgTimestamptzIso('2026-12-02 21:40:00+00')).toBe('2026-12-02T21:40:00.000Z');
    expect(pgTimestamptzIso('2026-12-02 21:40:00.1+00')).toBe('2026-12-02T21:40:00.100Z');
    expect(pgTimestamptzIso('2026-12-02 21:40:00.123456+00')).toBe('2026-12-02T21:40:00.123Z');
    expect(pgTimestamptzIso('2026-12-02 21:40:00.9999+00:00')).toBe('2026-12-02T21:40:00.999Z');
    expect(pgTimestamptzIso('2026-12-02 23:10:00.5+01:30')).toBe('2026-12-02T21:40:00.500Z');
    expect(pgTimestamptzIso('2026-12-31 00:00:00+00')).toBe('2026-12-31T00:00:00.000Z');
    for (const raw of ['infinity', '2026-12-02T21:40:00.000Z', '2026-13-02 21:40:00+00', '']) expect(pgTimestamptzIso(raw)).toBeNull();
  });
});
