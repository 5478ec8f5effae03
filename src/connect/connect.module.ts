import { Module } from '@nestjs/common';
import { ConnectController } from './connect.controller';
import { CustomDomainController } from './custom-domain.controller';
import { CustomDomainService } from './custom-domain.service';
import { EntitlementService } from './entitlement.service';
import { ServicesController } from './services.controller';

/** Service entitlements (seed 000's connect/disconnect, the free-tier claim) and custom domains. */
@Module({
  controllers: [ConnectController, ServicesController, CustomDomainController],
  providers: [EntitlementService, CustomDomainService],
  exports: [EntitlementService],
})
export class ConnectModule {}
