import { Controller, Delete, Get, NotFoundException, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuditContext } from '../audit/audit-context';
import { Audit } from '../audit/audit.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { UnitOfWork } from '../database/unit-of-work';
import { AllowRestricted } from './decorators/allow-restricted.decorator';
import { CurrentSession, CurrentUser } from './decorators/current-user.decorator';
import { SessionQueryDto } from './dto/auth-requests.dto';
import { SessionsResponse, SuccessResponse } from './dto/auth-responses.dto';
import type { Session } from './entities/session.entity';
import type { SessionUser } from './entities/user.entity';
import { SessionService } from './session.service';

@ApiTags('Auth')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token' })
@AllowRestricted()
@Controller('auth/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionService,
    private readonly uow: UnitOfWork,
    private readonly auditContext: AuditContext,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's live sessions (IPs decrypted)" })
  @ApiOkResponse({ type: SessionsResponse })
  async list(@CurrentUser() user: SessionUser, @CurrentSession() current: Session): Promise<SessionsResponse> {
    const sessions = await this.sessions.list(user.id);
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        ip: this.sessions.decryptIp(s),
        userAgent: s.userAgent,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        current: s.id === current.id,
      })),
    };
  }

  @Delete()
  @Audit('SESSION_DELETE')
  @ApiOperation({ summary: 'End one session (?id=) or all of them' })
  @ApiOkResponse({ type: SuccessResponse })
  @ApiNotFoundResponse({ type: ErrorResponse, description: "Session not found (not one of the caller's)" })
  async remove(@CurrentUser() user: SessionUser, @Query() query: SessionQueryDto): Promise<SuccessResponse> {
    await this.uow.run(async () => {
      if (query.id !== undefined) {
        if (!(await this.sessions.revoke(user.id, query.id))) throw new NotFoundException(Messages.sessionNotFound);
        this.auditContext.add({ sessionId: query.id });
      } else {
        await this.sessions.revokeAll(user.id);
        this.auditContext.action('USER_LOGOUT');
        this.auditContext.add({ allSessions: true });
      }
    });
    return { success: true };
  }
}
