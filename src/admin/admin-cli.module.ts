import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CoreModule } from '../common/core.module';
import { AdminRoleService } from './admin-role.service';

/**
 * What `npm run admin:grant` needs and no more: configuration, the database (migrated
 * as at start), the audit trail and the role service. No HTTP, no scheduled workers.
 */
@Module({
  imports: [CoreModule, AuditModule],
  providers: [AdminRoleService],
})
export class AdminCliModule {}
