import { Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { AllowRestricted } from '../auth/decorators/allow-restricted.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { RequireReauth } from '../auth/decorators/require-reauth.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { AccountService } from './account.service';
import { AccountActionResponse } from './dto/account-responses.dto';

const ok = (message: string) => ({ type: AccountActionResponse, description: message, example: { success: true, message } });

/**
 * Seeds 001 (disable), 002 (ban) and 003 (delete). Every route re-authenticates with
 * `{password, verificationCode?}` (ReauthGuard, which also loads the fresh user row)
 * and declares its audit event; the handlers hold only the account change.
 */
@ApiTags('Account')
@ApiBearerAuth()
@Controller('auth')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Post('disable-account')
  @HttpCode(200)
  @RateLimit('auth')
  @RequireReauth()
  @Audit('USER_DISABLE')
  @ApiOperation({
    summary: 'Disable the account (seed 001)',
    description:
      'Requires the password, and a 2FA code when 2FA is on. Every session of the account becomes restricted at its next request; ' +
      'every Polar subscription of the user is queued for cancellation in the same transaction.',
  })
  @ApiOkResponse(ok(Messages.accountDisabledOk))
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / Account is disabled (already restricted)' })
  disable(@CurrentUser() user: SessionUser): Promise<AccountActionResponse> {
    return this.account.disable(user.id);
  }

  @Delete('disable-account')
  @HttpCode(200)
  @AllowRestricted()
  @RateLimit('auth')
  @RequireReauth()
  @Audit('USER_UPDATE')
  @ApiOperation({
    summary: 'Enable a disabled account (seed 001)',
    description: 'Requires the password, and a 2FA code when 2FA is on; then 400 if the account is not disabled.',
  })
  @ApiOkResponse(ok(Messages.accountEnabledOk))
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error, or Account is not disabled' })
  enable(@CurrentUser() user: SessionUser): Promise<AccountActionResponse> {
    return this.account.enable(user.id);
  }

  @Post('ban-account')
  @HttpCode(200)
  @RateLimit('auth')
  @RequireReauth()
  @Audit('USER_BAN')
  @ApiOperation({
    summary: 'Ban the account (seed 002)',
    description:
      'Requires the password, and a 2FA code when 2FA is on. A self-imposed ban: the user may lift it. Every session becomes ' +
      'restricted; every Polar subscription is queued for cancellation in the same transaction.',
  })
  @ApiOkResponse(ok(Messages.accountBannedOk))
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / Account is disabled (already restricted)' })
  ban(@CurrentUser() user: SessionUser): Promise<AccountActionResponse> {
    return this.account.ban(user.id);
  }

  @Delete('ban-account')
  @HttpCode(200)
  @AllowRestricted()
  @RateLimit('auth')
  @RequireReauth()
  @Audit('USER_UPDATE')
  @ApiOperation({
    summary: 'Lift a self-imposed ban (seed 002)',
    description:
      'Requires the password, and a 2FA code when 2FA is on; then 400 if the account is not banned, 403 if the ban is an ' +
      "administrator's (only an administrator lifts it).",
  })
  @ApiOkResponse(ok(Messages.accountUnbannedOk))
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error, or Account is not banned' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Ban can only be lifted by an administrator' })
  unban(@CurrentUser() user: SessionUser): Promise<AccountActionResponse> {
    return this.account.unban(user.id);
  }

  @Post('delete-account')
  @HttpCode(200)
  @AllowRestricted()
  @RateLimit('auth')
  @RequireReauth()
  @Audit('USER_DELETE')
  @ApiOperation({
    summary: 'Delete the account for good (seed 003)',
    description:
      'Requires the password, and a 2FA code when 2FA is on. In one transaction: Polar cancellations queued, the USER_DELETE ' +
      'record written to the deletion ledger (user id, time, HMAC of the email), and the user deleted with its sessions, ' +
      'entitlements, audit logs, recovery codes and custom domain; then the avatar files are removed. The token stops working ' +
      "at once and the email may register again. Refused while an administrator's ban stands.",
  })
  @ApiOkResponse(ok(Messages.accountDeletedOk))
  @ApiForbiddenResponse({ type: ErrorResponse, description: "Account is banned (an administrator's ban stands)" })
  delete(@CurrentUser() user: SessionUser): Promise<AccountActionResponse> {
    return this.account.delete(user.id);
  }
}
