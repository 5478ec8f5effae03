import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AUDIT_ACTIONS, type AuditAction } from '../audit-actions';

export class AuditQueryDto {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(100, { message: 'limit must be at most 100' })
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number' })
  @Min(0, { message: 'offset must not be negative' })
  @Max(1_000_000, { message: 'offset is too large; use cursor' })
  offset?: number;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS as unknown as string[], { message: 'action must be a known audit action' })
  action?: AuditAction;

  @ApiPropertyOptional({
    description:
      'nextCursor of the previous page, as given (keyset paging; offset is then ignored). Opaque: anything the service did not write is 400 `cursor is not valid`.',
  })
  @IsOptional()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not valid' })
  @IsString()
  cursor?: string;
}

export class AuditLogDto {
  @ApiProperty({ example: '8a1f0c3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b' })
  id!: string;

  @ApiProperty({ example: 'USER_LOGIN' })
  action!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { ip: '203.0.113.7', twoFactorUsed: false } })
  data!: Record<string, unknown>;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  createdAt!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditLogDto] })
  logs!: AuditLogDto[];

  @ApiProperty({
    example: 42,
    description: 'How many events the filter matches in the whole log (not only this page), on every page, by offset or by cursor.',
  })
  total!: number;

  @ApiProperty({ example: 50 })
  limit!: number;

  @ApiProperty({ example: 0 })
  offset!: number;

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}
