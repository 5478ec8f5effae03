/**
 * Timestamps read on every token check, in the one form each database hands them over,
 * read without the general parsers' regular expressions. Each takes only its exact form
 * and answers null for anything else, which then goes to the general parser: a unit spec
 * compares both on every value of the form.
 */

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
};

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether the text's date (YYYY-MM-DD at its start, month 01–12) is a day of its month: only
 * then can it be rearranged into ISO form; an impossible one (02-30) rolls over in a Date.
 */
const isCalendarDay = (raw: string): boolean => {
  const month = digits(raw, 5, 7);
  const day = digits(raw, 8, 10);
  if (day <= 28) return true;
  if (month !== 2) return day <= MONTH_DAYS[month - 1];
  const year = digits(raw, 0, 4);
  return day === 29 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
};

/** The form TypeORM writes SQLite timestamps in (UTC), with every field in its range and a year from 1000 on. */
const SQLITE_TIMESTAMP = /^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}$/;

/**
 * A SQLite timestamp in TypeORM's own form ("2026-12-02 10:27:56.695"), read as the Date
 * TypeORM makes of it, without its two regular expressions, replace and date-string parse
 * (~0.8 µs a timestamp, five on every token check); null for any other form, which then
 * goes to TypeORM.
 */
export function sqliteTimestamp(raw: string): Date | null {
  if (!SQLITE_TIMESTAMP.test(raw)) return null;
  return new Date(
    Date.UTC(digits(raw, 0, 4), digits(raw, 5, 7) - 1, digits(raw, 8, 10), digits(raw, 11, 13), digits(raw, 14, 16), digits(raw, 17, 19), digits(raw, 20, 23)),
  );
}

/**
 * PostgreSQL's text form of a timestamptz under its default DateStyle (ISO):
 * "2026-12-02 21:40:00.123456+00", the fraction of 0 to 6 digits, the offset ±HH or ±HH:MM.
 */
const PG_TIMESTAMPTZ = /^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-]\d{2}(:[0-5]\d)?$/;

/**
 * A PostgreSQL timestamptz as the Date node-postgres makes of it (postgres-date), without
 * its backtracking regular expression (a tenth of the CPU of a token check on PostgreSQL
 * under load, eight timestamps a check); null for any other form (BC, infinity, another
 * DateStyle, an offset with seconds), which then goes to node-postgres's own parser.
 */
export function pgTimestamptz(raw: string): Date | null {
  if (!PG_TIMESTAMPTZ.test(raw)) return null;
  let at = 19;
  let ms = 0;
  if (raw.charCodeAt(at) === 46 /* . */) {
    const end = raw.length - (raw.charCodeAt(raw.length - 3) === 58 /* : */ ? 6 : 3);
    // milliseconds: the first three digits of the fraction, as postgres-date's Date.UTC truncates them
    for (let i = 0, scale = 100; i < 3; i++, scale /= 10) if (at + 1 + i < end) ms += (raw.charCodeAt(at + 1 + i) - 48) * scale;
    at = end;
  }
  const sign = raw.charCodeAt(at) === 45 /* - */ ? -1 : 1;
  const offsetMinutes = digits(raw, at + 1, at + 3) * 60 + (raw.length > at + 3 ? digits(raw, at + 4, at + 6) : 0);
  const utc = Date.UTC(digits(raw, 0, 4), digits(raw, 5, 7) - 1, digits(raw, 8, 10), digits(raw, 11, 13), digits(raw, 14, 16), digits(raw, 17, 19), ms);
  return new Date(utc - sign * offsetMinutes * 60_000);
}

/**
 * A SQLite timestamp in TypeORM's own form as `toISOString()` writes the instant
 * ("2026-12-02 10:27:56.695" is "2026-12-02T10:27:56.695Z"), by rearranging the text: the
 * audit page answers fifty of them. A date its month does not have goes through sqliteTimestamp,
 * which rolls it over as TypeORM does; null for any other form.
 */
export function sqliteTimestampIso(raw: string): string | null {
  if (!SQLITE_TIMESTAMP.test(raw)) return null;
  if (!isCalendarDay(raw)) return sqliteTimestamp(raw)!.toISOString();
  return `${raw.slice(0, 10)}T${raw.slice(11)}Z`;
}

/**
 * A PostgreSQL timestamptz as `toISOString()` writes the instant, by rearranging the text
 * when PostgreSQL wrote it in UTC ("2026-12-02 21:40:00.12+00" is "2026-12-02T21:40:00.120Z",
 * the fraction cut to milliseconds as node-postgres cuts it); any other offset, and a date its
 * month does not have, through pgTimestamptz. Null for any form pgTimestamptz does not take.
 */
export function pgTimestamptzIso(raw: string): string | null {
  if (!PG_TIMESTAMPTZ.test(raw)) return null;
  if (!raw.endsWith('+00') || !isCalendarDay(raw)) return pgTimestamptz(raw)!.toISOString();
  // The fraction, if any, runs from 20 (after the ".") to the offset; the service writes
  // milliseconds, so it is most often three digits: the text up to them is the ISO form's.
  const end = raw.length - 3;
  if (end === 23) return `${raw.slice(0, 10)}T${raw.slice(11, 23)}Z`;
  const ms = end > 19 ? `${raw.slice(20, Math.min(end, 23))}00`.slice(0, 3) : '000';
  return `${raw.slice(0, 10)}T${raw.slice(11, 19)}.${ms}Z`;
}
