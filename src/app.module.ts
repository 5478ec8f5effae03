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

@Module({
  imports: [CoreModule, MetricsModule, AuditModule, AuthModule, BillingModule, HealthModule, AccountModule, ConnectModule, AdminModule],
})
export class AppModule {}
