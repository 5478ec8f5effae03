import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { VALIDATES_OWN_BODY_KEY } from '../../common/unexpected-body.guard';
import { ApiBadRequestResponse, ApiBody, ApiNotFoundResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../../common/error-response.dto';
import { ReauthDto } from '../dto/reauth.dto';
import { ReauthGuard } from '../guards/reauth.guard';

/** Password, then TOTP when 2FA is on, before the handler runs (seeds 001-003). */
export const RequireReauth = (body: new () => object = ReauthDto) =>
  applyDecorators(
    UseGuards(ReauthGuard),
    SetMetadata(VALIDATES_OWN_BODY_KEY, true),
    ApiBody({ type: body }),
    ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error' }),
    ApiUnauthorizedResponse({
      type: ErrorResponse,
      description: 'Invalid password, 2FA verification code is required, or Invalid 2FA verification code',
    }),
    ApiNotFoundResponse({ type: ErrorResponse, description: 'User not found' }),
  );
