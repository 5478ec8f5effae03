import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ValidationShortcut } from '../../common/validation.pipe';
import { AUDIT_ACTIONS, type AuditAction } from '../audit-actions';

const LIMIT_MIN = 1;
const LIMIT_MAX = 100;
const OFFSET_MAX = 1_000_000;
const CURSOR_MAX_LENGTH = 200;
const CURSOR_ALPHABET = /^[A-Za-z0-9_-]+$/;
const ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

/** A whole number as a client writes it, within bounds (the rules below also take "050" or "5.0"). */
const PLAIN_WHOLE = /^(?:0|[1-9]\d*)$/;
const wholeIn = (min: number, max: number) => (given: string) => {
  const n = Number(given);
  return PLAIN_WHOLE.test(given) && n >= min && n <= max ? n : undefined;
};

/** Each field's common form, read as class-transformer would; undefined for any other. */
const COMMON: Record<string, (given: string) => unknown> = {
  limit: wholeIn(LIMIT_MIN, LIMIT_MAX),
  offset: wholeIn(0, OFFSET_MAX),
  action: (given) => (ACTIONS.has(given) ? given : undefined),
  cursor: (given) => (given.length <= CURSOR_MAX_LENGTH && CURSOR_ALPHABET.test(given) ? given : undefined),
};

/** A query of common fields only, read without the rules below (ValidationShortcut); else undefined. */
function commonAuditQuery(value: unknown): Partial<AuditQueryDto> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const given = (value as Record<string, unknown>)[key];
    const field = typeof given === 'string' && Object.hasOwn(COMMON, key) ? COMMON[key](given) : undefined;
    if (field === undefined) return undefined;
    fields[key] = field;
  }
  return fields;
}

@ValidationShortcut(commonAuditQuery, 'query')
export class AuditQueryDto {
  @ApiPropertyOptional({ default: 50, minimum: LIMIT_MIN, maximum: LIMIT_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(LIMIT_MIN, { message: `limit must be at least ${LIMIT_MIN}` })
  @Max(LIMIT_MAX, { message: `limit must be at most ${LIMIT_MAX}` })
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, maximum: OFFSET_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number' })
  @Min(0, { message: 'offset must not be negative' })
  @Max(OFFSET_MAX, { message: 'offset is too large; use cursor' })
  offset?: number;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS as unknown as string[], { message: 'action must be a known audit action' })
  action?: AuditAction;

  @ApiPropertyOptional({
    description:
      'nextCursor of the previous page, as given (keyset paging; offset is then ignored). Opaque: anything the service did not write is 400 `cursor is not valid`.',
    maxLength: CURSOR_MAX_LENGTH,
    pattern: CURSOR_ALPHABET.source,
  })
  @IsOptional()
  @MaxLength(CURSOR_MAX_LENGTH)
  @Matches(CURSOR_ALPHABET, { message: 'cursor is not valid' })
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
