import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import type { JsonText } from '../common/json-text';
import { AuditQueryService } from './audit-query.service';
import { AuditPageDto, AuditQueryDto } from './dto/audit-query.dto';

@ApiTags('Audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly query: AuditQueryService) {}

  @Get()
  @ApiOperation({ summary: "The caller's own audit log, newest first" })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Bad limit, offset, action or cursor' })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / disabled' })
  list(@CurrentUser() user: SessionUser, @Query() query: AuditQueryDto): Promise<JsonText> {
    return this.query.list(user.id, query);
  }
}
