import { Global, Module } from '@nestjs/common';
import { AuditContext } from './audit-context';
import { AuditQueryService } from './audit-query.service';
import { AuditController } from './audit.controller';
import { AuditInterceptor } from './audit.interceptor';
import { AuditService } from './audit.service';

@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditContext, AuditQueryService, AuditInterceptor],
  exports: [AuditService, AuditContext, AuditInterceptor],
})
export class AuditModule {}
