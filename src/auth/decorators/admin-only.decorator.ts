import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../../common/error-response.dto';

export const ADMIN_ONLY_KEY = 'nullpass:admin-only';

/** Only accounts with the `admin` role (checked by the global JWT guard). */
export const AdminOnly = () =>
  applyDecorators(
    SetMetadata(ADMIN_ONLY_KEY, true),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token' }),
    ApiForbiddenResponse({ type: ErrorResponse, description: 'Not an administrator' }),
  );
