import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { CurrentEntitlements, CurrentUser } from '../auth/decorators/current-user.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { ConnectionCheckResponse, ConnectionResponse, ServiceBodyDto, ServiceQueryDto } from './dto/connect.dto';
import { EntitlementService } from './entitlement.service';
import type { EntitlementDto } from './dto/entitlement.dto';

const SERVICE_ERRORS = `${Messages.serviceRequired}, or ${Messages.invalidService}`;

@ApiTags('Connect')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token', example: { error: Messages.unauthorized } })
@ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / Account is disabled', example: { error: Messages.accountBanned } })
@Controller('connect')
export class ConnectController {
  constructor(private readonly entitlements: EntitlementService) {}

  @Post('connect')
  @HttpCode(200)
  @RateLimit('write')
  @Audit('SERVICE_ENTITLEMENT_CONNECT')
  @ApiOperation({
    summary: 'Connect the caller to a service it holds an entitlement for',
    description: 'Sets the entitlement\'s `connected` flag. Audited SERVICE_ENTITLEMENT_CONNECT `{service}`; an "Already connected" answer changes nothing and writes no event.',
  })
  @ApiOkResponse({
    type: ConnectionResponse,
    examples: {
      connected: {
        summary: 'Connected',
        value: { connected: true, service: 'DROP', tier: 'premium', isPremium: true, message: Messages.connectedOk },
      },
      already: { summary: 'Already connected', value: { connected: true, service: 'DROP', message: Messages.alreadyConnected } },
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponse, description: SERVICE_ERRORS, example: { error: Messages.invalidService } })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No entitlement for this service', example: { error: Messages.entitlementNotFound } })
  connect(@CurrentUser() user: SessionUser, @Body() dto: ServiceBodyDto): Promise<ConnectionResponse> {
    return this.entitlements.setConnected(user.id, dto.service, true);
  }

  @Post('disconnect')
  @HttpCode(200)
  @RateLimit('write')
  @Audit('SERVICE_ENTITLEMENT_DISCONNECT')
  @ApiOperation({
    summary: 'Disconnect Service (seed 000)',
    description:
      'Disconnects the authenticated user from a service by setting the connected flag to false. The service entitlement ' +
      'remains but is marked as disconnected. Audited SERVICE_ENTITLEMENT_DISCONNECT `{service}`; an "Already disconnected" ' +
      'answer changes nothing and writes no event.',
  })
  @ApiOkResponse({
    type: ConnectionResponse,
    description: 'Successfully disconnected or already disconnected',
    examples: {
      disconnected: {
        summary: 'Disconnected',
        value: { connected: false, service: 'DROP', tier: 'premium', isPremium: true, message: Messages.disconnectedOk },
      },
      already: { summary: 'Already disconnected', value: { connected: false, service: 'DROP', message: Messages.alreadyDisconnected } },
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error', example: { error: Messages.invalidService } })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'Service entitlement not found', example: { error: Messages.entitlementNotFound } })
  disconnect(@CurrentUser() user: SessionUser, @Body() dto: ServiceBodyDto): Promise<ConnectionResponse> {
    return this.entitlements.setConnected(user.id, dto.service, false);
  }

  @Get('check')
  @ApiOperation({ summary: 'Is the caller connected to a service?' })
  @ApiOkResponse({
    type: ConnectionCheckResponse,
    examples: {
      entitled: { summary: 'Holds an entitlement', value: { connected: true, service: 'DROP', tier: 'premium', isPremium: true } },
      none: { summary: 'No entitlement', value: { connected: false, service: 'DROP', message: Messages.noEntitlement } },
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponse, description: SERVICE_ERRORS, example: { error: Messages.serviceRequired } })
  check(@CurrentEntitlements() entitlements: EntitlementDto[], @Query() query: ServiceQueryDto): ConnectionCheckResponse {
    return this.entitlements.check(entitlements, query.service);
  }
}
