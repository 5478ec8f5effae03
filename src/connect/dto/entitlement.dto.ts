import { ApiProperty } from '@nestjs/swagger';
import { SERVICES, type ServiceName } from '../../common/services';
import type { Entitlement } from '../entities/entitlement.entity';

/** The entitlement JSON of the contract. Polar ids are never exposed. */
export class EntitlementDto {
  @ApiProperty({ example: 'b3c1a4e2-6a0e-4a53-9a55-0c1e6d2f6c11' })
  id!: string;

  @ApiProperty({ example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  userId!: string;

  @ApiProperty({ enum: SERVICES, example: 'DROP' })
  service!: ServiceName;

  @ApiProperty({ example: 'premium' })
  tier!: string;

  @ApiProperty({ example: true })
  isPremium!: boolean;

  @ApiProperty({ example: true })
  connected!: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  accessFlags!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  metadata!: Record<string, unknown>;

  @ApiProperty({ type: Number, nullable: true, example: 123 })
  customStorageLimit!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 123 })
  customApiKeyLimit!: number | null;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  updatedAt!: string;
}

export function toEntitlementDto(e: Entitlement): EntitlementDto {
  return {
    id: e.id,
    userId: e.userId,
    service: e.service,
    tier: e.tier,
    isPremium: e.isPremium,
    connected: e.connected,
    accessFlags: e.accessFlags ?? {},
    metadata: e.metadata ?? {},
    customStorageLimit: e.customStorageLimit,
    customApiKeyLimit: e.customApiKeyLimit,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
