import { Module } from '@nestjs/common';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';
import { AvatarStorage } from './avatar-storage';
import { AvatarController } from './avatar.controller';
import { AvatarService } from './avatar.service';

/**
 * Seeds 001-003 (disable, ban, delete) and avatars. Relies on the global AuthModule
 * (ReauthGuard, restricted mode), AuditModule and BillingModule (cancellation outbox).
 */
@Module({
  controllers: [AccountController, AvatarController],
  providers: [AccountService, AvatarService, AvatarStorage],
})
export class AccountModule {}
