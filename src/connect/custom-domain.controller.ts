import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { CustomDomainService } from './custom-domain.service';
import { CustomDomainDto, CustomDomainResponse, DomainConnectedResponse, DomainDisconnectedResponse } from './dto/custom-domain.dto';

@ApiTags('Custom domain')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token', example: { error: Messages.unauthorized } })
@ApiForbiddenResponse({
  type: ErrorResponse,
  description: `${Messages.enterpriseRequired} (the DROP entitlement's tier must be "enterprise"); or Account is banned / disabled`,
  example: { error: Messages.enterpriseRequired },
})
@Controller('user/custom-domain')
export class CustomDomainController {
  constructor(private readonly domains: CustomDomainService) {}

  @Get()
  @ApiOperation({ summary: "The caller's custom domain (DROP enterprise)" })
  @ApiOkResponse({ type: CustomDomainResponse, example: { customDomain: 'files.example.com', customDomainVerified: false, hasCustomDomain: true } })
  get(@CurrentUser() user: SessionUser): Promise<CustomDomainResponse> {
    return this.domains.get(user);
  }

  @Post()
  @HttpCode(200)
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @ApiOperation({
    summary: 'Connect a custom domain (DROP enterprise)',
    description:
      'The domain must be a host name of at most 253 characters; it is stored lower-cased and is unique across users ' +
      '(case-insensitively, enforced by the database). A new domain starts unverified. Audited USER_UPDATE ' +
      '`{field:"customDomain", value}`.',
  })
  @ApiOkResponse({ type: DomainConnectedResponse, example: { success: true, domain: 'files.example.com', message: Messages.domainConnected } })
  @ApiBadRequestResponse({ type: ErrorResponse, description: Messages.invalidDomain, example: { error: Messages.invalidDomain } })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Another account holds this domain', example: { error: Messages.domainInUse } })
  connect(@CurrentUser() user: SessionUser, @Body() dto: CustomDomainDto): Promise<DomainConnectedResponse> {
    return this.domains.connect(user, dto.domain);
  }

  @Delete()
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @ApiOperation({
    summary: 'Disconnect the custom domain (DROP enterprise)',
    description: 'Audited USER_UPDATE `{field:"customDomain", value:null}` when a domain was removed.',
  })
  @ApiOkResponse({ type: DomainDisconnectedResponse, example: { success: true, message: Messages.domainDisconnected } })
  disconnect(@CurrentUser() user: SessionUser): Promise<DomainDisconnectedResponse> {
    return this.domains.disconnect(user);
  }
}
