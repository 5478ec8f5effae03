import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DataProtector } from '../common/crypto/data-protector';
import { HotQuery } from '../database/hot-query';
import { rawEntityReader, type RawEntityReader } from '../database/raw-entity';
import type { AuditPageDto, AuditQueryDto } from './dto/audit-query.dto';
import { AuditLog } from './entities/audit-log.entity';

const DEFAULT_LIMIT = 50;

type Variant = `${'all' | 'action'}_${'offset' | 'cursor'}`;

/**
 * The caller's own audit log, newest first, by offset or by keyset cursor.
 *
 * Its four page statements (with or without `action`, by offset or by cursor) and two totals
 * are built once and prepared (HotQuery), like the token-validation reads: building TypeORM
 * query builders and hydrating full entities was most of a page's cost. The total is read
 * from `audit_log_totals` (AuditLogTotal), so a page costs the same whatever the log's length.
 */
@Injectable()
export class AuditQueryService {
  private readonly reader: RawEntityReader<AuditLog>;
  private readonly pages: Record<Variant, HotQuery>;
  private readonly counts: Record<'all' | 'action', HotQuery>;
  private readonly createdAtColumn;
  /** SQLite's positional parameters: the total's filter comes first. */
  private readonly totalFirst: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly protector: DataProtector,
  ) {
    this.reader = rawEntityReader(dataSource, AuditLog, 'a', ['id', 'action', 'data', 'createdAt']);
    this.createdAtColumn = dataSource.getMetadata(AuditLog).findColumnWithPropertyName('createdAt')!;
    const postgres = dataSource.options.type === 'postgres';
    const sql = (withAction: boolean, byCursor: boolean, count: boolean): string => {
      let n = 0;
      const p = () => (postgres ? `$${++n}` : '?');
      const where = [`a.user_id = ${p()}`];
      if (withAction) where.push(`a.action = ${p()}`);
      // On PostgreSQL the total names the page's own $1/$2; on SQLite its parameters come
      // first (they are positional).
      const total = postgres ? auditTotalSql('$1', withAction ? '$2' : null) : auditTotalSql('?', withAction ? '?' : null);
      if (count) return `SELECT ${total} AS n`;
      // A row-value comparison is an index condition on (user_id, created_at, id) on both
      // databases, so a page costs the same at any depth.
      if (byCursor) where.push(`(a.created_at, a.id) < (${p()}, ${p()})`);
      // The page carries the total as a column (one statement, one round trip on PostgreSQL;
      // an uncorrelated subquery, read once).
      return `SELECT ${this.reader.select}, ${total} AS total FROM audit_logs a WHERE ${where.join(' AND ')} ORDER BY a.created_at DESC, a.id DESC LIMIT ${p()} OFFSET ${p()}`;
    };
    const page = (name: Variant, withAction: boolean, byCursor: boolean) => new HotQuery(dataSource, `nullpass_audit_page_${name}`, sql(withAction, byCursor, false));
    this.pages = {
      all_offset: page('all_offset', false, false),
      all_cursor: page('all_cursor', false, true),
      action_offset: page('action_offset', true, false),
      action_cursor: page('action_cursor', true, true),
    };
    // For a page with no rows (past the end), the total alone.
    this.counts = {
      all: new HotQuery(dataSource, 'nullpass_audit_count_all', sql(false, false, true)),
      action: new HotQuery(dataSource, 'nullpass_audit_count_action', sql(true, false, true)),
    };
    this.totalFirst = !postgres;
  }

  async list(userId: string, query: AuditQueryDto): Promise<AuditPageDto> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const offset = query.cursor ? 0 : (query.offset ?? 0);
    const filter: unknown[] = query.action ? [userId, query.action] : [userId];
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const after = cursor
      ? [this.dataSource.driver.preparePersistentValue(cursor.createdAt, this.createdAtColumn), cursor.id]
      : [];
    const variant: Variant = `${query.action ? 'action' : 'all'}_${cursor ? 'cursor' : 'offset'}`;
    const manager = this.dataSource.manager;
    const rows = await this.pages[variant].rows(manager, [...(this.totalFirst ? filter : []), ...filter, ...after, limit + 1, offset]);
    const total = rows.length
      ? Number(rows[0].total)
      : offset === 0 && !cursor
        ? 0
        : Number((await this.counts[query.action ? 'action' : 'all'].rows(manager, filter))[0]?.n ?? 0);
    const more = rows.length > limit;
    const logs = rows.slice(0, limit).map((row) => this.reader.read(row));
    const last = logs[logs.length - 1];
    // The events of one session share its sealed IP (SessionService.sealedIp): each distinct
    // ciphertext is opened once per page. Nothing outlives the request.
    const opened = new Map<string, string | null>();
    return {
      logs: logs.map((log) => ({
        id: log.id,
        action: log.action,
        data: this.readable(log.data, opened),
        createdAt: log.createdAt.toISOString(),
      })),
      total,
      limit,
      offset,
      nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** IPs are stored sealed; the owner sees them decrypted. */
  private readable(data: Record<string, unknown> | null, opened: Map<string, string | null>): Record<string, unknown> {
    if (!data) return {};
    const out = { ...data };
    if (typeof out.ip === 'string') {
      let ip = opened.get(out.ip);
      if (ip === undefined) {
        ip = this.protector.open(out.ip);
        opened.set(out.ip, ip);
      }
      out.ip = ip;
    }
    return out;
  }
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

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new BadRequestException('cursor is not valid');
  }
  return { createdAt, id };
}
