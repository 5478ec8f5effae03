import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/audit.decorator';
import { AdminOnly } from '../auth/decorators/admin-only.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { EntitlementResponse } from '../connect/dto/connect.dto';
import { EntitlementService } from '../connect/entitlement.service';
import { AdminRoleService } from './admin-role.service';
import { AdminUsersService } from './admin-users.service';
import { AdminActionResponse, AdminStatsResponse, AdminUsersQueryDto, AdminUsersResponse, BanDto, RoleResponse, UpdateEntitlementDto } from './dto/admin.dto';

/** A malformed id names no user: 404, never a database error. */
export const userIdPipe = () => new ParseUUIDPipe({ exceptionFactory: () => new NotFoundException(Messages.userNotFound) });

const USER_ID_PARAM = { name: 'userId', format: 'uuid', example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' };
const NOT_FOUND = { type: ErrorResponse, description: 'No such user', example: { error: Messages.userNotFound } };

/**
 * Administrators only (`@AdminOnly()`: 403 "Administrator role required" for others).
 * Every change is audited on the target's log with the administrator as actor.
 */
@ApiTags('Admin')
@AdminOnly()
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsersService,
    private readonly roles: AdminRoleService,
    private readonly entitlements: EntitlementService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Users, newest first, paged; search matches part of the email' })
  @ApiOkResponse({ type: AdminUsersResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Bad page, limit (at most 100) or search', example: { error: 'limit must be at most 100' } })
  list(@Query() query: AdminUsersQueryDto): Promise<AdminUsersResponse> {
    return this.users.list(query);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Counts of users, premium, bans, 2FA, and entitlements per service' })
  @ApiOkResponse({ type: AdminStatsResponse })
  stats(): Promise<AdminStatsResponse> {
    return this.users.stats();
  }

  @Patch(':userId')
  @RateLimit('write')
  @Audit('SERVICE_ACCESS_GRANT')
  @ApiOperation({
    summary: "Create or change a user's entitlement for a service",
    description:
      'Fields left out stay as they are; a new entitlement starts as `{tier:"free", isPremium:false}` before the given fields ' +
      'apply; `null` clears accessFlags, metadata and the limits. Audited on the target\'s log with the administrator as actor: ' +
      'SERVICE_TIER_CHANGE when an existing entitlement\'s tier changes, else SERVICE_ACCESS_GRANT.',
  })
  @ApiParam(USER_ID_PARAM)
  @ApiOkResponse({ type: EntitlementResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Validation error (unknown service, bad field, unknown field)', example: { error: Messages.invalidService } })
  @ApiNotFoundResponse(NOT_FOUND)
  updateEntitlement(
    @CurrentUser() admin: SessionUser,
    @Param('userId', userIdPipe()) userId: string,
    @Body() dto: UpdateEntitlementDto,
  ): Promise<EntitlementResponse> {
    const { service, ...changes } = dto;
    return this.entitlements.grant(userId, admin.id, service, changes);
  }

  @Put(':userId/role')
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @ApiOperation({ summary: 'Grant the admin role', description: 'Audited USER_UPDATE `{field:"role", value:"admin"}` when it changed.' })
  @ApiParam(USER_ID_PARAM)
  @ApiOkResponse({ type: RoleResponse, example: { success: true, user: { id: USER_ID_PARAM.example, email: 'jsmith@example.com', role: 'admin' } } })
  @ApiNotFoundResponse(NOT_FOUND)
  grantAdmin(@CurrentUser() admin: SessionUser, @Param('userId', userIdPipe()) userId: string): Promise<RoleResponse> {
    return this.roles.setRole(userId, 'admin', admin.id);
  }

  @Delete(':userId/role')
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @ApiOperation({ summary: 'Revoke the admin role', description: 'Audited USER_UPDATE `{field:"role", value:"user"}` when it changed.' })
  @ApiParam(USER_ID_PARAM)
  @ApiOkResponse({ type: RoleResponse, example: { success: true, user: { id: USER_ID_PARAM.example, email: 'jsmith@example.com', role: 'user' } } })
  @ApiNotFoundResponse(NOT_FOUND)
  revokeAdmin(@CurrentUser() admin: SessionUser, @Param('userId', userIdPipe()) userId: string): Promise<RoleResponse> {
    return this.roles.setRole(userId, 'user', admin.id);
  }

  @Post(':userId/ban')
  @HttpCode(200)
  @RateLimit('write')
  @Audit('USER_BAN')
  @ApiOperation({
    summary: 'Ban a user (until a time, or until lifted)',
    description:
      'Records bannedBy, banReason, bannedAt and bannedUntil. The user\'s sessions become restricted on their next request; ' +
      'while the ban stands the user cannot lift it or delete the account. Polar subscriptions are queued for cancellation. ' +
      'Audited USER_BAN on the target\'s log.',
  })
  @ApiParam(USER_ID_PARAM)
  @ApiOkResponse({ type: AdminActionResponse, example: { success: true, message: Messages.accountBannedOk } })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: `Validation error, ${Messages.banUntilInPast}, or ${Messages.cannotBanSelf}`,
    example: { error: Messages.cannotBanSelf },
  })
  @ApiNotFoundResponse(NOT_FOUND)
  ban(@CurrentUser() admin: SessionUser, @Param('userId', userIdPipe()) userId: string, @Body() dto: BanDto): Promise<AdminActionResponse> {
    return this.users.ban(userId, admin.id, dto);
  }

  @Delete(':userId/ban')
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @ApiOperation({ summary: 'Lift a ban', description: 'Clears the ban fields. Audited USER_UPDATE `{action:"account_unbanned"}` on the target\'s log.' })
  @ApiParam(USER_ID_PARAM)
  @ApiOkResponse({ type: AdminActionResponse, example: { success: true, message: Messages.accountUnbannedOk } })
  @ApiBadRequestResponse({ type: ErrorResponse, description: Messages.accountNotBanned, example: { error: Messages.accountNotBanned } })
  @ApiNotFoundResponse(NOT_FOUND)
  unban(@CurrentUser() admin: SessionUser, @Param('userId', userIdPipe()) userId: string): Promise<AdminActionResponse> {
    return this.users.unban(userId, admin.id);
  }
}
