import type { DataSource, EntityManager } from 'typeorm';
import type { ServiceName } from '../common/services';
import { HotQuery } from '../database/hot-query';
import { rawEntityReader } from '../database/raw-entity';
import { Entitlement } from './entities/entitlement.entity';

/**
 * The entitlement reads on the token-validation paths (/auth/me, /auth/verify,
 * /connect/check), as statements built once (see rawEntityReader).
 */
export class EntitlementQueries {
  private readonly byUserQuery: HotQuery;
  private readonly byUserAndServiceQuery: HotQuery;
  private readonly reader;

  constructor(dataSource: DataSource) {
    this.reader = rawEntityReader(dataSource, Entitlement, 'e');
    const [p1, p2] = dataSource.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    const from = `SELECT ${this.reader.select} FROM service_entitlements e WHERE e.user_id = ${p1}`;
    this.byUserQuery = new HotQuery(dataSource, 'nullpass_entitlements_by_user', `${from} ORDER BY e.created_at ASC, e.service ASC`);
    this.byUserAndServiceQuery = new HotQuery(dataSource, 'nullpass_entitlement_by_user_service', `${from} AND e.service = ${p2}`);
  }

  async byUser(manager: EntityManager, userId: string): Promise<Entitlement[]> {
    const rows = await this.byUserQuery.rows(manager, [userId]);
    return rows.map((row) => this.reader.read(row));
  }

  async byUserAndService(manager: EntityManager, userId: string, service: ServiceName): Promise<Entitlement | null> {
    const rows = await this.byUserAndServiceQuery.rows(manager, [userId, service]);
    return rows.length ? this.reader.read(rows[0]) : null;
  }
}
