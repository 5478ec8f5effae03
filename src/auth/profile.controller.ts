import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { AllowRestricted } from './decorators/allow-restricted.decorator';
import type { EntitlementDto } from '../connect/dto/entitlement.dto';
import { CurrentEntitlements, CurrentSession, CurrentUser } from './decorators/current-user.decorator';
import { ChangePasswordDto, UpdateProfileDto } from './dto/auth-requests.dto';
import { MeResponse, ProfileResponse, SuccessMessageResponse } from './dto/auth-responses.dto';
import type { Session } from './entities/session.entity';
import type { SessionUser } from './entities/user.entity';
import { ProfileService } from './profile.service';
import { ApiAccountGoneResponse } from './decorators/account-gone.decorator';

@ApiTags('Auth')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token' })
@Controller('auth')
export class ProfileController {
  constructor(private readonly profile: ProfileService) {}

  @Get('me')
  @AllowRestricted()
  @ApiOperation({ summary: 'The caller, with flags and service access' })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentUser() user: SessionUser, @CurrentEntitlements() entitlements: EntitlementDto[]): Promise<MeResponse> {
    return this.profile.me(user, entitlements);
  }

  @Patch('me')
  @ApiAccountGoneResponse()
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @ApiOperation({ summary: 'Change display name or avatar URL (https only, "" clears)' })
  @ApiOkResponse({ type: ProfileResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'No fields to update, or validation error' })
  update(@CurrentUser() user: SessionUser, @Body() dto: UpdateProfileDto): Promise<ProfileResponse> {
    return this.profile.update(user, dto);
  }

  @Post('password')
  @ApiAccountGoneResponse()
  @HttpCode(200)
  @AllowRestricted()
  @RateLimit('auth')
  @Audit('PASSWORD_CHANGE')
  @ApiOperation({ summary: 'Change the password; every other session is revoked' })
  @ApiOkResponse({ type: SuccessMessageResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error' })
  @ApiUnauthorizedResponse({
    type: ErrorResponse,
    description: 'Invalid current password, 2FA verification code is required, or Invalid 2FA verification code',
  })
  changePassword(@CurrentUser() user: SessionUser, @CurrentSession() session: Session, @Body() dto: ChangePasswordDto): Promise<SuccessMessageResponse> {
    return this.profile.changePassword(user, session, dto);
  }
}
