import type { DataSource, EntityManager } from 'typeorm';
import type { ServiceName } from '../common/services';
import { rawEntityReader } from '../database/raw-entity';
import { Entitlement } from './entities/entitlement.entity';

/**
 * The entitlement reads on the token-validation paths (/auth/me, /auth/verify,
 * /connect/check), as statements built once (see rawEntityReader).
 */
export class EntitlementQueries {
  private readonly byUserSql: string;
  private readonly byUserAndServiceSql: string;
  private readonly reader;

  constructor(dataSource: DataSource) {
    this.reader = rawEntityReader(dataSource, Entitlement, 'e');
    const [p1, p2] = dataSource.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    const from = `SELECT ${this.reader.select} FROM service_entitlements e WHERE e.user_id = ${p1}`;
    this.byUserSql = `${from} ORDER BY e.created_at ASC, e.service ASC`;
    this.byUserAndServiceSql = `${from} AND e.service = ${p2}`;
  }

  async byUser(manager: EntityManager, userId: string): Promise<Entitlement[]> {
    const rows = (await manager.query(this.byUserSql, [userId])) as Record<string, unknown>[];
    return rows.map((row) => this.reader.read(row));
  }

  async byUserAndService(manager: EntityManager, userId: string, service: ServiceName): Promise<Entitlement | null> {
    const rows = (await manager.query(this.byUserAndServiceSql, [userId, service])) as Record<string, unknown>[];
    return rows.length ? this.reader.read(rows[0]) : null;
  }
}
