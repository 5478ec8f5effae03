import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { EntitlementListResponse, EntitlementResponse, OptionalServiceQueryDto, ServiceBodyDto } from './dto/connect.dto';
import { EntitlementService } from './entitlement.service';
import { ApiAccountGoneResponse } from '../auth/decorators/account-gone.decorator';

const ENTITLEMENT_EXAMPLE = {
  id: 'b3c1a4e2-6a0e-4a53-9a55-0c1e6d2f6c11',
  userId: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20',
  service: 'DROP',
  tier: 'free',
  isPremium: false,
  connected: true,
  accessFlags: {},
  metadata: {},
  customStorageLimit: null,
  customApiKeyLimit: null,
  createdAt: '2023-11-07T05:31:56.000Z',
  updatedAt: '2023-11-07T05:31:56.000Z',
};

@ApiTags('Services')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token', example: { error: Messages.unauthorized } })
@ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / Account is disabled', example: { error: Messages.accountBanned } })
@Controller('services')
export class ServicesController {
  constructor(private readonly entitlements: EntitlementService) {}

  @Get()
  @ApiOperation({ summary: "The caller's own service entitlements (optionally one service)" })
  @ApiOkResponse({ type: EntitlementListResponse, example: { entitlements: [ENTITLEMENT_EXAMPLE] } })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Unknown service', example: { error: Messages.invalidService } })
  list(@CurrentUser() user: SessionUser, @Query() query: OptionalServiceQueryDto): Promise<EntitlementListResponse> {
    return this.entitlements.list(user.id, query.service);
  }

  @Post()
  @ApiAccountGoneResponse()
  @HttpCode(200)
  @RateLimit('write')
  @Audit('SERVICE_ACCESS_GRANT')
  @ApiOperation({
    summary: 'Claim the free tier of a service',
    description:
      'Creates `{tier:"free", isPremium:false}` if the caller holds no entitlement for the service, else returns the existing ' +
      'one unchanged. The body is `{service}` and nothing else: any other field (tier, isPremium, limits, accessFlags, ' +
      'metadata, payment ids) is a 400, so a user can never grant itself a tier (the original allowed it). Tiers are written ' +
      'by billing and administrators only. Audited SERVICE_ACCESS_GRANT (actor: the user) only when a row was created.',
  })
  @ApiOkResponse({ type: EntitlementResponse, example: { entitlement: ENTITLEMENT_EXAMPLE } })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'Unknown service, or any field other than service',
    example: { error: 'property tier should not exist', details: [{ field: 'tier', message: 'property tier should not exist' }] },
  })
  claim(@CurrentUser() user: SessionUser, @Body() dto: ServiceBodyDto): Promise<EntitlementResponse> {
    return this.entitlements.claimFree(user.id, dto.service);
  }
}
