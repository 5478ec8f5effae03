import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

/**
 * Polar's webhook payloads (snake_case, as Polar sends them). Validation is lenient:
 * the fields NullPass uses are checked, every other field is ignored (the global
 * forbid-unknown rule does not apply to a third party's payload). The type check sits
 * nearest each property: class-validator runs it first, so its message is the one reported.
 */
export class PolarWebhookEnvelope {
  @IsNotEmpty({ message: 'type must not be empty' })
  @MaxLength(64, { message: 'type is too long' })
  @IsString({ message: 'type must be a string' })
  type!: string;

  @IsObject({ message: 'data must be an object' })
  data!: Record<string, unknown>;
}

const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** What our checkout put in the subscription's metadata (GET /api/polar/checkout). */
export class SubscriptionMetadata {
  @IsOptional()
  @IsString({ message: 'metadata.userId must be a string' })
  userId?: string;

  @IsOptional()
  @Transform(trimLower)
  @Matches(/^[a-z0-9_-]{1,32}$/, { message: 'metadata.plan must be a plan name (letters, digits, - or _, at most 32)' })
  @IsString({ message: 'metadata.plan must be a string' })
  plan?: string;
}

/** `data` of subscription.created/updated/active/canceled/uncanceled/revoked. */
export class PolarSubscriptionData {
  @IsNotEmpty({ message: 'data.id must not be empty' })
  @MaxLength(100, { message: 'data.id is too long' })
  @IsString({ message: 'data.id must be a string' })
  id!: string;

  @IsNotEmpty({ message: 'data.status must not be empty' })
  @MaxLength(32, { message: 'data.status is too long' })
  @IsString({ message: 'data.status must be a string' })
  status!: string;

  @IsOptional()
  @MaxLength(100, { message: 'data.customer_id is too long' })
  @IsString({ message: 'data.customer_id must be a string' })
  customer_id?: string | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => SubscriptionMetadata)
  @IsObject({ message: 'data.metadata must be an object' })
  metadata?: SubscriptionMetadata | null;
}

export class CustomerMetadata {
  @IsOptional()
  @IsString({ message: 'metadata.userId must be a string' })
  userId?: string;
}

/** `data` of customer.created/updated. */
export class PolarCustomerData {
  @IsNotEmpty({ message: 'data.id must not be empty' })
  @MaxLength(100, { message: 'data.id is too long' })
  @IsString({ message: 'data.id must be a string' })
  id!: string;

  @IsOptional()
  @MaxLength(254, { message: 'data.email is too long' })
  @IsString({ message: 'data.email must be a string' })
  email?: string | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => CustomerMetadata)
  @IsObject({ message: 'data.metadata must be an object' })
  metadata?: CustomerMetadata | null;
}

/** 200: the delivery was accepted (processed now, earlier, or deliberately ignored). */
export class WebhookReceivedResponse {
  @ApiProperty({ example: true })
  received!: true;
}

/** 403: the signature is missing, wrong or stale (spec exception to the error shape). */
export class WebhookRejectedResponse {
  @ApiProperty({ example: false })
  received!: false;
}
