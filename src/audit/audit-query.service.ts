import { BadRequestException, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { DataSource } from 'typeorm';
import { DataProtector } from '../common/crypto/data-protector';
import { JsonText } from '../common/json-text';
import { HotQuery } from '../database/hot-query';
import { isoTimestampReader } from '../database/raw-entity';
import type { AuditQueryDto } from './dto/audit-query.dto';
import { AuditLog } from './entities/audit-log.entity';

const DEFAULT_LIMIT = 50;
/** At most this many pages share one PostgreSQL statement. */
const PAGE_BATCH_MAX = 16;
/** Where each value is in an event's row: the order of its fields in a page's text (eventsOf). */
const [ID, ACTION, DATA, CREATED_AT] = [0, 1, 2, 3];
const EVENT_FIELDS = 4;
/** What separates the fields, and the events, in a page's text (auditPageBatchSql, sqlitePages). */
const SEPARATOR = '\x01';

type Variant = `${'all' | 'action'}_${'offset' | 'cursor'}`;
const VARIANTS: readonly Variant[] = ['all_offset', 'all_cursor', 'action_offset', 'action_cursor'];

/** One page to read: the filter's values ([userId] or [userId, action]), the cursor (time, id), limit + 1, offset. */
interface PageRead {
  filter: unknown[];
  after: { createdAt: Date; id: string } | null;
  take: number;
  offset: number;
}
/** A page's rows (ID…CREATED_AT) and its filter's total. */
interface PageRows {
  rows: string[][];
  total: number;
}

/**
 * The caller's own audit log, newest first, by offset or by keyset cursor.
 *
 * Its statements (with or without `action`, by offset or by cursor) are built once and
 * prepared (HotQuery), like the token-validation reads: building TypeORM query builders and
 * hydrating full entities was most of a page's cost. Each page comes from its database as one
 * text of its events (eventsOf), written straight into the answer's JSON text (JsonText): the
 * action as JSON from the database, createdAt from the database's text to ISO without a Date
 * (isoTimestampReader), and each event's data from the database's JSON text without parsing it
 * unless it has an IP to open (eventDataJson). The total is read from `audit_log_totals`
 * (AuditLogTotal), so a page costs the same whatever the log's length. On PostgreSQL the pages
 * of one event-loop turn are read together, one statement per variant (auditPageBatchSql);
 * SQLite has a statement per page (auditPageSqliteSql).
 */
@Injectable()
export class AuditQueryService {
  private readonly readCreatedAt: (raw: unknown) => string;
  /** The page's rows and total, by the database's own reader (chosen once). */
  private readonly readPage: (variant: Variant, read: PageRead) => Promise<PageRows>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly protector: DataProtector,
  ) {
    const metadata = dataSource.getMetadata(AuditLog);
    const createdAtColumn = metadata.findColumnWithPropertyName('createdAt')!;
    this.readCreatedAt = isoTimestampReader(dataSource, createdAtColumn);
    this.readPage = dataSource.options.type === 'postgres' ? batchedPages(dataSource) : sqlitePages(dataSource, createdAtColumn);
  }

  /** The page as the JSON text of an AuditPageDto (see JsonText, and eventDataJson for its data). */
  async list(userId: string, query: AuditQueryDto): Promise<JsonText> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const offset = query.cursor ? 0 : (query.offset ?? 0);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const variant: Variant = `${query.action ? 'action' : 'all'}_${after ? 'cursor' : 'offset'}`;
    const filter = query.action ? [userId, query.action] : [userId];
    const { rows, total } = await this.readPage(variant, { filter, after, take: limit + 1, offset });
    const more = rows.length > limit;
    const count = Math.min(rows.length, limit);
    const createdAt = rows.map((row) => this.readCreatedAt(row[CREATED_AT]));
    const order = newestFirst(rows, createdAt);
    // The events of one session share its sealed IP (SessionService.sealedIp): each distinct
    // ciphertext is opened once per page, and a run of the same one (a session's events are
    // neighbours) is answered by comparing it with the last, without hashing it for the map
    // (~5 of ~9 µs a page of 50). Nothing outlives the request.
    const opened = new Map<string, string | null>();
    let lastSealed: string | undefined;
    let lastIp: string | null = null;
    const open = (sealed: string): string | null => {
      if (sealed === lastSealed) return lastIp;
      let ip = opened.get(sealed);
      if (ip === undefined) {
        ip = this.protector.open(sealed);
        opened.set(sealed, ip);
      }
      lastSealed = sealed;
      lastIp = ip;
      return ip;
    };
    const last = count ? (order ? order[count - 1] : count - 1) : -1;
    const nextCursor = more && last >= 0 ? encodeCursor(createdAt[last], rows[last][ID]) : null;
    // Ids are uuids (no escapes), actions are JSON, times are ISO, and each event's data is
    // the database's JSON text ('' for none): see eventsOf and eventDataJson.
    let logs = '';
    for (let i = 0; i < count; i++) {
      const at = order ? order[i] : i;
      const row = rows[at];
      logs += `${i ? ',' : ''}{"id":"${row[ID]}","action":${row[ACTION]},"data":${eventDataJson(row[DATA] || null, open)},"createdAt":"${createdAt[at]}"}`;
    }
    return new JsonText(`{"logs":[${logs}],"total":${total},"limit":${limit},"offset":${offset},"nextCursor":${nextCursor ? `"${nextCursor}"` : 'null'}}`);
  }
}

/**
 * IPs are stored sealed; the owner sees them decrypted: a top-level string `ip` is opened
 * (null if it does not open), everything else is answered as stored; no data is `{}`.
 */
export function readable(data: unknown, open: (sealed: string) => string | null): unknown {
  if (!data) return {};
  const record = data as Record<string, unknown>;
  if (typeof record.ip === 'string') record.ip = open(record.ip);
  return data;
}

/**
 * An event's data, as the database's JSON text, to the JSON readable() answers, without
 * parsing it where the text shows there is nothing to open. The text is jsonb's on PostgreSQL
 * (jsonb_out: keys shortest first, ": " and ", " between), and JSON.stringify's on SQLite
 * (simple-json, which only the service writes; sqlitePages answers only text json_valid
 * takes). Both are valid JSON with unique keys, every key written in full, no letter escaped.
 * - No top-level key can be `ip` when the text has no `"ip"` anywhere: the text is already
 *   the answer.
 * - When the text starts with `{"ip":"` or `{"ip": "` (ip the first key: jsonb puts it first
 *   unless a key of one character or none is there; the service writes it first) and the
 *   string runs to the next quote without a backslash, that string is the ciphertext, whole
 *   (a sealed value is base64url); the answer is the opened IP followed by the rest of the text.
 * - Anything else (an `ip` elsewhere or nested, escapes, data that is not an object) goes
 *   through JSON.parse and readable().
 */
export function eventDataJson(text: string | null, open: (sealed: string) => string | null): string {
  if (text === null) return '{}';
  if (text.charCodeAt(0) === 123 /* { */) {
    if (!text.includes('"ip"')) return text;
    const start = text.startsWith('{"ip":"') ? 7 : text.startsWith('{"ip": "') ? 8 : 0;
    if (start) {
      const end = text.indexOf('"', start);
      const sealed = text.slice(start, end);
      if (end > 0 && !sealed.includes('\\')) return `{"ip":${JSON.stringify(open(sealed))}${text.slice(end + 1)}`;
    }
  }
  return JSON.stringify(readable(JSON.parse(text), open));
}

/**
 * The page's rows are its limit + 1 newest by (createdAt, id), each in its own statement's
 * order, but PostgreSQL's batch leaves the page's order to its plan (auditPageBatchSql): null
 * when the rows are newest first, as the plan gives them, otherwise the indices in that order.
 * createdAt is toISOString()'s form (fixed width, comparable as text; the service writes
 * milliseconds) and a uuid compares as its lower-case text does in PostgreSQL.
 */
export function newestFirst(rows: unknown[][], createdAt: string[]): number[] | null {
  const before = (a: number, b: number): boolean => createdAt[a] > createdAt[b] || (createdAt[a] === createdAt[b] && (rows[a][ID] as string) > (rows[b][ID] as string));
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) sorted = before(i - 1, i);
  if (sorted) return null;
  return rows.map((_, i) => i).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}

/**
 * A page's events as the database joins them into one text (auditPageBatchSql, sqlitePages),
 * back into rows: for each event its id, its action as JSON, its data as JSON text ('' for
 * none) and its created_at as the database's text, each field separated from the next by
 * SEPARATOR (U+0001). It cannot be in any of them: both databases' JSON functions escape every
 * control character, and ids and timestamps have none. Null: no events.
 */
export function eventsOf(text: string | null): string[][] {
  if (text === null) return [];
  const fields = text.split(SEPARATOR);
  if (fields.length % EVENT_FIELDS !== 0) throw new Error(`audit page text has ${fields.length} fields, not ${EVENT_FIELDS} an event`);
  const rows = new Array<string[]>(fields.length / EVENT_FIELDS);
  for (let i = 0, f = 0; i < rows.length; i++, f += EVENT_FIELDS) rows[i] = [fields[f], fields[f + 1], fields[f + 2], fields[f + 3]];
  return rows;
}

/**
 * SQLite: one statement per page, answering one row: the page's events as one text (as
 * PostgreSQL's batch does, auditPageBatchSql: a value per field cost better-sqlite3 more than
 * the text, bench/README.md "fifteenth pass") and the filter's total (an uncorrelated subquery,
 * read once; a page past the end has no events and its total). The parameters are positional,
 * so the total's filter comes first. A row-value comparison is an index condition on
 * (user_id, created_at, id), so a page by cursor costs the same at any depth. Data that
 * json_valid refuses answers as none; group_concat takes the rows in the subquery's order
 * (the app checks it anyway, newestFirst).
 */
function sqlitePages(dataSource: DataSource, createdAtColumn: ColumnMetadata): (variant: Variant, read: PageRead) => Promise<PageRows> {
  const pages = Object.fromEntries(
    VARIANTS.map((v) => [v, new HotQuery(dataSource, `nullpass_audit_page_${v}`, auditPageSqliteSql(v.startsWith('action'), v.endsWith('cursor')))]),
  ) as Record<Variant, HotQuery>;
  return async (variant, { filter, after, take, offset }) => {
    const cursor = after ? [dataSource.driver.preparePersistentValue(after.createdAt, createdAtColumn), after.id] : [];
    const [[events, total]] = await pages[variant].arrays(dataSource.manager, [...filter, ...filter, ...cursor, take, offset]);
    return { rows: eventsOf(events as string | null), total: Number(total) };
  };
}

/**
 * SQLite's page statement (sqlitePages); its positional parameters: the total's filter (user,
 * [action]), the page's (user, [action], [cursor time, cursor id]), limit + 1, offset.
 * The limit is a CAST, not a bare `?`: SQLite (3.47 on) lets the planner read a bare LIMIT
 * parameter's value, which marks the statement to be prepared again on every new binding, the
 * parse and plan each time (~30 % of the statement's instructions, bench/README.md "sixteenth
 * pass"). The plan is the same either way: the index gives the order. bench/explain.ts shows it.
 * An event's fields are joined by one concat_ws (a chain of || copied the growing text at each
 * step: ~5 % of the statement's instructions); none of them is null (concat_ws would skip it).
 */
export function auditPageSqliteSql(withAction: boolean, byCursor: boolean): string {
  const where = ['a.user_id = ?'];
  if (withAction) where.push('a.action = ?');
  if (byCursor) where.push('(a.created_at, a.id) < (?, ?)');
  const event = `concat_ws(char(1), e.id, json_quote(e.action), COALESCE(CASE WHEN json_valid(e.data) THEN e.data END, ''), e.created_at)`;
  return (
    `SELECT group_concat(${event}, char(1)) AS events, ${auditTotalSql('?', withAction ? '?' : null)} AS total ` +
    `FROM (SELECT a.id, a.action, a.data, a.created_at FROM audit_logs a WHERE ${where.join(' AND ')} ` +
    `ORDER BY a.created_at DESC, a.id DESC LIMIT CAST(? AS INTEGER) OFFSET ?) e`
  );
}

/**
 * PostgreSQL: most of a page's cost to the app is the statement's fixed cost (the pool, the
 * protocol, the syscall that wakes the backend), as it was for the token check, so the pages
 * asked for in one turn of the event loop share one statement per variant (auditPageBatchSql),
 * each still read after its request arrived (bench/README.md, "eighth pass").
 */
function batchedPages(dataSource: DataSource): (variant: Variant, read: PageRead) => Promise<PageRows> {
  const batch = (variant: Variant): DataLoader<PageRead, PageRows> => {
    const [withAction, byCursor] = [variant.startsWith('action'), variant.endsWith('cursor')];
    const query = new HotQuery(dataSource, `nullpass_audit_batch_${variant}`, auditPageBatchSql(withAction, byCursor));
    return new DataLoader<PageRead, PageRows>(
      async (reads) => {
        // One array per column of the pages: users, [actions], [cursor times, ids], takes, offsets.
        const columns: unknown[][] = reads[0].filter.map((_, i) => reads.map((r) => r.filter[i]));
        if (byCursor) columns.push(reads.map((r) => r.after!.createdAt.toISOString()), reads.map((r) => r.after!.id));
        columns.push(reads.map((r) => r.take), reads.map((r) => r.offset));
        const pages: PageRows[] = reads.map(() => ({ rows: [], total: 0 }));
        // A row per page: its number, its total, and its events as one text (eventsOf).
        for (const [n, total, events] of await query.arrays(dataSource.manager, columns)) {
          pages[Number(n) - 1] = { rows: eventsOf(events as string | null), total: Number(total) };
        }
        return pages;
      },
      { cache: false, maxBatchSize: PAGE_BATCH_MAX, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
    );
  };
  const batches = Object.fromEntries(VARIANTS.map((v) => [v, batch(v)])) as Record<Variant, DataLoader<PageRead, PageRows>>;
  return (variant, read) => batches[variant].load(read);
}

/**
 * The total of a filter, as an expression over the given placeholders: read from
 * audit_log_totals (kept by triggers, one row per action), never by counting the log; at
 * most one row per action for the whole log, one row for one action. bench/explain.ts shows
 * the plan of this same expression.
 */
export function auditTotalSql(user: string, action: string | null): string {
  return action
    ? `COALESCE((SELECT t.total FROM audit_log_totals t WHERE t.user_id = ${user} AND t.action = ${action}), 0)`
    : `COALESCE((SELECT SUM(t.total) FROM audit_log_totals t WHERE t.user_id = ${user}), 0)`;
}

/**
 * PostgreSQL: the pages of many requests in one statement. Each page is a row of the unnested
 * parameter arrays (user, [action], [cursor time, cursor id], limit + 1, offset, numbered by
 * ordinality); its total is read once per page, its rows by the same index condition as a
 * single page's (a LATERAL subquery per page, so any depth costs the same).
 *
 * Each page is answered as one row, its events joined into one text (eventsOf: jsonb's text
 * for the data, to_json for the action). A row per event cost the app a protocol message and a
 * string per field, about half its work on a page's rows, for a statement PostgreSQL runs at
 * the same cost (bench/README.md, "fifteenth pass"). A page with no rows has null events with
 * its total.
 *
 * The statement has no ORDER BY over the pages: sorting every page's rows, data and all, was
 * ~40 % of its execution. string_agg takes each page's rows in the LATERAL subquery's order,
 * which its ORDER BY and index scan give; the app checks the order anyway (newestFirst).
 * bench/explain.ts shows its plan.
 */
export function auditPageBatchSql(withAction: boolean, byCursor: boolean): string {
  let n = 0;
  const p = (type: string) => `$${++n}::${type}[]`;
  const columns = ['u'];
  const arrays = [p('uuid')];
  const where = ['a.user_id = q.u'];
  if (withAction) {
    columns.push('act');
    arrays.push(p('varchar'));
    where.push('a.action = q.act');
  }
  if (byCursor) {
    columns.push('c_at', 'c_id');
    arrays.push(p('timestamptz'), p('uuid'));
    where.push('(a.created_at, a.id) < (q.c_at, q.c_id)');
  }
  columns.push('take', 'skip', 'n');
  arrays.push(p('int'), p('int'));
  const field = `|| chr(1) ||`;
  // MATERIALIZED: each page's total is read once (inlined, PostgreSQL would run it per row).
  return (
    `WITH q AS MATERIALIZED (SELECT q.*, ${auditTotalSql('q.u', withAction ? 'q.act' : null)} AS total ` +
    `FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS q(${columns.join(', ')})) ` +
    `SELECT q.n, q.total, p.events FROM q CROSS JOIN LATERAL (` +
    `SELECT string_agg(e.id::text ${field} to_json(e.action)::text ${field} COALESCE(e.data::text, '') ${field} e.created_at::text, chr(1)) AS events ` +
    `FROM (SELECT a.id, a.action, a.data, a.created_at FROM audit_logs a WHERE ${where.join(' AND ')} ` +
    `ORDER BY a.created_at DESC, a.id DESC LIMIT q.take OFFSET q.skip) e) p`
  );
}

/** The last event's createdAt (ISO, as answered) and id. */
function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

/** encodeCursor's form only: toISOString()'s time (years 0000–9999) and a canonical UUID. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * The cursor is the caller's input: anything but what encodeCursor wrote is refused here, so
 * no crafted id or out-of-range time reaches the database (PostgreSQL would refuse it with an
 * error, not an empty page).
 */
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const createdAt = new Date(match?.[1] ?? '');
  if (!match || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== match[1]) {
    throw new BadRequestException('cursor is not valid');
  }
  return { createdAt, id: match[2].toLowerCase() };
}
