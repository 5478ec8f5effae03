import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../../common/error-response.dto';
import { INTERNAL_SECRET_SCHEME } from '../../openapi';
import { InternalSecretGuard } from '../guards/internal-secret.guard';
import { Public } from './public.decorator';

/** For sibling services only: X-Internal-Secret instead of a bearer token. */
export const InternalOnly = () =>
  applyDecorators(
    Public(),
    UseGuards(InternalSecretGuard),
    ApiSecurity(INTERNAL_SECRET_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or wrong X-Internal-Secret' }),
  );
