import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { InternalOnly } from '../auth/decorators/internal-only.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { userIdPipe } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { InternalUserResponse } from './dto/internal-user.dto';

/** The user lookup of sibling services behind the gateway (X-Internal-Secret). */
@ApiTags('Internal')
@Controller('auth/user')
export class InternalUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get(':userId')
  @InternalOnly()
  @ApiOperation({
    summary: 'Look up a user (sibling services)',
    description:
      'Requires `X-Internal-Secret`; with INTERNAL_SECRET unset nobody gets in. Never returns the password hash, the 2FA ' +
      'secret or payment ids (the original returned the first two).',
  })
  @ApiParam({ name: 'userId', format: 'uuid', example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  @ApiOkResponse({ type: InternalUserResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or wrong X-Internal-Secret', example: { error: Messages.unauthorized } })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No such user', example: { error: Messages.userNotFound } })
  lookup(@Param('userId', userIdPipe()) userId: string): Promise<InternalUserResponse> {
    return this.users.internalLookup(userId);
  }
}
