import { Module } from '@nestjs/common';
import { ConnectModule } from '../connect/connect.module';
import { AdminRoleService } from './admin-role.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { InternalUsersController } from './internal-users.controller';

/** Administrators' routes and the internal user lookup for sibling services. */
@Module({
  imports: [ConnectModule],
  controllers: [AdminUsersController, InternalUsersController],
  providers: [AdminUsersService, AdminRoleService],
  exports: [AdminRoleService],
})
export class AdminModule {}
