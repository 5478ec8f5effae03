import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ValidationShortcut } from '../../common/validation.pipe';
import { AUDIT_ACTIONS, type AuditAction } from '../audit-actions';

const ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);
/** The common form of each field as a client pages (the rules below accept more, e.g. "050"). */
const COMMON: Record<string, RegExp> = {
  limit: /^(?:[1-9]\d?|100)$/,
  offset: /^(?:0|[1-9]\d{0,5}|1000000)$/,
  cursor: /^[A-Za-z0-9_-]{1,200}$/,
};

/** A query of common fields only, read as class-transformer would (ValidationShortcut); else undefined. */
function commonAuditQuery(value: unknown): Partial<AuditQueryDto> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const fields: Partial<AuditQueryDto> = {};
  for (const key of Object.keys(value)) {
    const given = (value as Record<string, unknown>)[key];
    if (typeof given !== 'string') return undefined;
    if (key === 'action') {
      if (!ACTIONS.has(given)) return undefined;
      fields.action = given as AuditAction;
    } else if (key === 'cursor' && COMMON.cursor.test(given)) fields.cursor = given;
    else if ((key === 'limit' || key === 'offset') && COMMON[key].test(given)) fields[key] = Number(given);
    else return undefined;
  }
  return fields;
}

@ValidationShortcut(commonAuditQuery, 'query')
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
