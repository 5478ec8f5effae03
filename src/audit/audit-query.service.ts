import { BadRequestException, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DataProtector } from '../common/crypto/data-protector';
import type { AuditPageDto, AuditQueryDto } from './dto/audit-query.dto';
import { AuditLog } from './entities/audit-log.entity';

const DEFAULT_LIMIT = 50;

/** The caller's own audit log, newest first, by offset or by keyset cursor. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly protector: DataProtector,
  ) {}

  async list(userId: string, query: AuditQueryDto): Promise<AuditPageDto> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const offset = query.cursor ? 0 : (query.offset ?? 0);
    const base = () => {
      const qb = this.dataSource.getRepository(AuditLog).createQueryBuilder('a').where('a.user_id = :userId', { userId });
      if (query.action) qb.andWhere('a.action = :action', { action: query.action });
      return qb;
    };
    const page = base().orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').take(limit + 1).skip(offset);
    if (query.cursor) {
      const { createdAt, id } = decodeCursor(query.cursor);
      // A row-value comparison is an index condition on (user_id, created_at, id) on both
      // databases, so a page costs the same at any depth.
      page.andWhere('(a.created_at, a.id) < (:createdAt, :id)', { createdAt, id });
    }
    // COUNT(*), not getCount()'s COUNT(DISTINCT id): id is the primary key already.
    const counted = base().select('COUNT(*)', 'n').getRawOne<{ n: string | number }>();
    const [rows, count] = await Promise.all([page.getMany(), counted]);
    const total = Number(count?.n ?? 0);
    const more = rows.length > limit;
    const logs = rows.slice(0, limit);
    const last = logs[logs.length - 1];
    return {
      logs: logs.map((row) => ({
        id: row.id,
        action: row.action,
        data: this.readable(row.data),
        createdAt: row.createdAt.toISOString(),
      })),
      total,
      limit,
      offset,
      nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  /** IPs are stored sealed; the owner sees them decrypted. */
  private readable(data: Record<string, unknown> | null): Record<string, unknown> {
    if (!data) return {};
    const out = { ...data };
    if (typeof out.ip === 'string') out.ip = this.protector.open(out.ip);
    return out;
  }
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
