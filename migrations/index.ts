import { InitialSchema1732300000000 } from './1732300000000-initial-schema';
import { AuditLogTotals1764720000000 } from './1764720000000-audit-log-totals';
import { UserEntitlementsJson1764900000000 } from './1764900000000-user-entitlements-json';

/** Every migration, in order. A new schema change is a new file listed here. */
export const MIGRATIONS = [InitialSchema1732300000000, AuditLogTotals1764720000000, UserEntitlementsJson1764900000000];
