import { Module } from '@nestjs/common';
import { AccountModule } from './account/account.module';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BillingModule } from './billing/billing.module';
import { CoreModule } from './common/core.module';
import { ConnectModule } from './connect/connect.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

/**
 * Express matches routes in the order they were registered, one after another, and Nest
 * registers them in this order of modules: the routes every request of a product hits
 * (health checks, token validation, connect/check) come first.
 */
@Module({
  imports: [CoreModule, HealthModule, AuthModule, ConnectModule, AccountModule, BillingModule, AuditModule, AdminModule, MetricsModule],
})
export class AppModule {}
