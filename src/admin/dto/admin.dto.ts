import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { PartialUserDto } from '../../auth/dto/auth-responses.dto';
import type { UserRole } from '../../auth/entities/user.entity';
import { Messages } from '../../common/messages';
import { SERVICES, type ServiceName } from '../../common/services';
import { RequiredService } from '../../connect/dto/connect.dto';
import { EntitlementDto } from '../../connect/dto/entitlement.dto';

const INT_MAX = 2_147_483_647; // the integer columns' range on PostgreSQL

/**
 * class-validator runs a property's decorators bottom-up and the pipe stops at the first
 * error, so below the type check is written last: it runs first and names the problem.
 */

/** Present but not null: tier and isPremium are NOT NULL columns. */
const IfPresent = () => ValidateIf((_object, value) => value !== undefined);

export class AdminUsersQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1, example: 1 })
  @IsOptional()
  @Type(() => Number)
  @Max(1_000_000, { message: 'page is too large' })
  @Min(1, { message: 'page must be at least 1' })
  @IsInt({ message: 'page must be a whole number' })
  page?: number;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100, example: 20 })
  @IsOptional()
  @Type(() => Number)
  @Max(100, { message: 'limit must be at most 100' })
  @Min(1, { message: 'limit must be at least 1' })
  @IsInt({ message: 'limit must be a whole number' })
  limit?: number;

  @ApiPropertyOptional({ example: 'example.com', description: 'Part of the email address (case-insensitive; % and _ match literally)' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @MaxLength(254, { message: 'search is too long' })
  @IsString({ message: 'search must be a string' })
  search?: string;
}

/** The user's public fields (PartialUserDto) plus what an administrator needs to see. */
export class AdminUserDto extends PartialUserDto {
  @ApiProperty({ example: false })
  banned!: boolean;

  @ApiProperty({ example: false })
  disabled!: boolean;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  updatedAt!: string;

  @ApiProperty({ type: [EntitlementDto] })
  serviceAccess!: EntitlementDto[];
}

export class PaginationDto {
  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 20 })
  limit!: number;

  @ApiProperty({ example: 42 })
  totalCount!: number;

  @ApiProperty({ example: 3 })
  totalPages!: number;

  @ApiProperty({ example: true })
  hasMore!: boolean;
}

export class AdminUsersResponse {
  @ApiProperty({ type: [AdminUserDto] })
  users!: AdminUserDto[];

  @ApiProperty({ type: PaginationDto })
  pagination!: PaginationDto;
}

export class ServiceStatsDto {
  @ApiProperty({ example: 120, description: 'Accounts holding an entitlement for the service' })
  total!: number;

  @ApiProperty({ example: 30, description: 'Of which premium' })
  premium!: number;
}

@ApiExtraModels(ServiceStatsDto)
export class AdminStatsResponse {
  @ApiProperty({ example: 200 })
  totalUsers!: number;

  @ApiProperty({ example: 45, description: 'Accounts with at least one premium entitlement' })
  premiumUsers!: number;

  @ApiProperty({ example: 155, description: 'totalUsers - premiumUsers' })
  freeUsers!: number;

  @ApiProperty({ example: 2, description: 'Accounts under a ban now (self-imposed or an administrator\'s)' })
  banned!: number;

  @ApiProperty({ example: 3 })
  disabled!: number;

  @ApiProperty({ example: 60 })
  twoFactorEnabled!: number;

  @ApiProperty({
    type: 'object',
    description: `One entry per service (${SERVICES.join(', ')})`,
    properties: Object.fromEntries(SERVICES.map((s) => [s, { allOf: [{ $ref: getSchemaPath(ServiceStatsDto) }] }])),
    example: Object.fromEntries(SERVICES.map((s) => [s, { total: 120, premium: 30 }])),
  })
  byService!: Record<ServiceName, ServiceStatsDto>;
}

/** What an administrator may set on an entitlement; payment ids and `connected` are not among it. */
export class UpdateEntitlementDto {
  @RequiredService()
  service!: ServiceName;

  @ApiPropertyOptional({ example: 'enterprise', pattern: '^[a-z0-9_-]{1,32}$' })
  @IfPresent()
  @Matches(/^[a-z0-9_-]{1,32}$/, { message: 'tier must be 1 to 32 lower-case letters, digits, "-" or "_"' })
  @IsString({ message: 'tier must be a string' })
  tier?: string;

  @ApiPropertyOptional({ example: true })
  @IfPresent()
  @IsBoolean({ message: 'isPremium must be a boolean' })
  isPremium?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example: { betaFeatures: true } })
  @IsOptional()
  @IsObject({ message: 'accessFlags must be an object' })
  accessFlags?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, example: { note: 'partner account' } })
  @IsOptional()
  @IsObject({ message: 'metadata must be an object' })
  metadata?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, maximum: INT_MAX, example: 1024, description: 'null clears it' })
  @IsOptional()
  @Max(INT_MAX, { message: 'customStorageLimit is too large' })
  @Min(0, { message: 'customStorageLimit must not be negative' })
  @IsInt({ message: 'customStorageLimit must be a whole number' })
  customStorageLimit?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, maximum: INT_MAX, example: 10, description: 'null clears it' })
  @IsOptional()
  @Max(INT_MAX, { message: 'customApiKeyLimit is too large' })
  @Min(0, { message: 'customApiKeyLimit must not be negative' })
  @IsInt({ message: 'customApiKeyLimit must be a whole number' })
  customApiKeyLimit?: number | null;
}

export class BanDto {
  @ApiProperty({ example: 'Terms of service violation', minLength: 1, maxLength: 500 })
  @MaxLength(500, { message: 'reason must be at most 500 characters' })
  @IsNotEmpty({ message: 'reason is required' })
  @IsString({ message: 'reason must be a string' })
  reason!: string;

  @ApiPropertyOptional({ example: '2030-01-01T00:00:00.000Z', description: 'ISO-8601 end of the ban; absent: until lifted' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;
}

export class AdminActionResponse {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ example: Messages.accountBannedOk })
  message!: string;
}

export class RoleUserDto {
  @ApiProperty({ example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  id!: string;

  @ApiProperty({ example: 'jsmith@example.com' })
  email!: string;

  @ApiProperty({ enum: ['user', 'admin'], example: 'admin' })
  role!: UserRole;
}

export class RoleResponse {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ type: RoleUserDto })
  user!: RoleUserDto;
}
