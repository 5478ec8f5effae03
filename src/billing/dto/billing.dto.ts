import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { Messages } from '../../common/messages';
import { SERVICES, type ServiceName } from '../../common/services';

export const BILLING_CYCLES = ['monthly', 'yearly'] as const;
export type BillingCycle = (typeof BILLING_CYCLES)[number];

export class SubscriptionQueryDto {
  @ApiPropertyOptional({ enum: SERVICES, default: 'DROP', example: 'DROP' })
  @IsOptional()
  @IsIn(SERVICES as unknown as string[], { message: Messages.invalidService })
  service?: ServiceName;
}

export class CheckoutQueryDto extends SubscriptionQueryDto {
  @ApiPropertyOptional({ example: 'premium', description: 'A plan configured in POLAR_PRODUCTS' })
  @IsOptional()
  @MaxLength(64, { message: Messages.invalidPlan })
  @IsString({ message: 'plan must be a string' })
  plan?: string;

  @ApiPropertyOptional({ enum: BILLING_CYCLES, example: 'monthly' })
  @IsOptional()
  @MaxLength(16, { message: Messages.invalidPlan })
  @IsString({ message: 'billingCycle must be a string' })
  billingCycle?: string;
}

export class SubscriptionPriceDto {
  @ApiProperty({ type: Number, nullable: true, example: 999, description: "In the currency's smallest unit (cents), as Polar reports it" })
  amount!: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'usd', description: "Polar's own currency; no conversion" })
  currency!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'month', description: "Polar's recurring interval (month, year, …)" })
  interval!: string | null;
}

export class SubscriptionProductDto {
  @ApiProperty({ type: String, nullable: true, example: 'DROP Premium' })
  name!: string | null;
}

/** The caller's subscription as Polar reports it (period times in unix seconds, as the original). */
export class SubscriptionResponse {
  @ApiProperty({ example: 'a3c5e7f9-0000-4000-8000-000000000001' })
  id!: string;

  @ApiProperty({ example: 'active' })
  status!: string;

  @ApiProperty({ example: 1735732800, description: 'Unix seconds' })
  currentPeriodStart!: number;

  @ApiProperty({ type: Number, nullable: true, example: 1738411200, description: 'Unix seconds' })
  currentPeriodEnd!: number | null;

  @ApiProperty({ example: false })
  cancelAtPeriodEnd!: boolean;

  @ApiProperty({ example: 'premium' })
  plan!: string;

  @ApiProperty({ enum: BILLING_CYCLES, example: 'monthly' })
  billingCycle!: BillingCycle;

  @ApiProperty({ type: SubscriptionPriceDto })
  price!: SubscriptionPriceDto;

  @ApiProperty({ type: SubscriptionProductDto })
  product!: SubscriptionProductDto;
}

/** Answer to a client that asked for JSON (Accept: application/json) instead of a redirect. */
export class RedirectUrlResponse {
  @ApiProperty({ example: 'https://buy.polar.sh/polar_c_3f9d1a2b' })
  url!: string;
}
