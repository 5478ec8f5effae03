import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { AuditContext } from '../audit/audit-context';
import { ErrorResponse } from '../common/error-response.dto';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { CurrentUser } from './decorators/current-user.decorator';
import { RequireReauth } from './decorators/require-reauth.decorator';
import { RecoveryCodesDto, TwoFactorDto } from './dto/auth-requests.dto';
import { RecoveryCodesResponse, TwoFactorSetupResponse, TwoFactorStateResponse } from './dto/auth-responses.dto';
import type { SessionUser } from './entities/user.entity';
import { TwoFactorService } from './two-factor.service';
import { ApiAccountGoneResponse } from './decorators/account-gone.decorator';

@ApiTags('Auth')
@ApiBearerAuth()
@Controller('auth/2fa')
export class TwoFactorController {
  constructor(
    private readonly twoFactor: TwoFactorService,
    private readonly auditContext: AuditContext,
  ) {}

  @Post()
  @ApiAccountGoneResponse()
  @HttpCode(200)
  @RateLimit('auth')
  @Audit('TWO_FACTOR_ENABLE')
  @ApiOperation({
    summary: 'Set up, confirm or disable 2FA',
    description:
      '`{enable:true}` starts setup (the secret is kept server-side until confirmed). `{enable:true, verificationCode, password}` ' +
      'confirms it and returns 10 recovery codes, shown once. `{enable:false, verificationCode, password}` disables it.',
  })
  @ApiExtraModels(TwoFactorSetupResponse, TwoFactorStateResponse)
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(TwoFactorSetupResponse) }, { $ref: getSchemaPath(TwoFactorStateResponse) }] } })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description:
      '2FA is already enabled, No pending 2FA setup, Invalid verification code, 2FA is not enabled, or 2FA verification code is required to disable 2FA',
  })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Invalid password, or missing token' })
  change(@CurrentUser() user: SessionUser, @Body() dto: TwoFactorDto): Promise<TwoFactorSetupResponse | TwoFactorStateResponse> {
    if (!dto.enable) this.auditContext.action('TWO_FACTOR_DISABLE');
    return this.twoFactor.change(user, dto);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @RateLimit('auth')
  @RequireReauth(RecoveryCodesDto)
  @ApiOperation({ summary: 'Replace the recovery codes (the old ones stop working)' })
  @ApiOkResponse({ type: RecoveryCodesResponse })
  regenerate(@CurrentUser() user: SessionUser, @Body() _dto: RecoveryCodesDto): Promise<RecoveryCodesResponse> {
    return this.twoFactor.regenerateRecoveryCodes(user);
  }
}
