import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional } from 'class-validator';
import { Messages } from '../../common/messages';
import { SERVICES, type ServiceName } from '../../common/services';
import { ServiceName as IsServiceName } from '../../common/validation';
import { EntitlementDto } from './entitlement.dto';

/**
 * A required service name: missing or empty is "Service parameter is required", anything
 * not in the service list is "Invalid service. Must be …" (built from the list).
 */
export const RequiredService = () => applyDecorators(IsNotEmpty({ message: Messages.serviceRequired }), IsServiceName());

/** Body of connect, disconnect and the free-tier claim: `{service}` and nothing else. */
export class ServiceBodyDto {
  @RequiredService()
  service!: ServiceName;
}

export class ServiceQueryDto {
  @RequiredService()
  service!: ServiceName;
}

export class OptionalServiceQueryDto {
  @ApiPropertyOptional({ enum: SERVICES, example: 'DROP', description: 'Only this service' })
  @IsOptional()
  @IsIn(SERVICES as unknown as string[], { message: Messages.invalidService })
  service?: ServiceName;
}

/** Seed 000's answer (and its mirror for connect). tier/isPremium are absent on "already". */
export class ConnectionResponse {
  @ApiProperty({ example: false })
  connected!: boolean;

  @ApiProperty({ enum: SERVICES, example: 'DROP' })
  service!: ServiceName;

  @ApiPropertyOptional({ example: 'premium', description: 'Absent when nothing changed ("Already …")' })
  tier?: string;

  @ApiPropertyOptional({ example: true, description: 'Absent when nothing changed ("Already …")' })
  isPremium?: boolean;

  @ApiProperty({ example: Messages.disconnectedOk })
  message!: string;
}

export class ConnectionCheckResponse {
  @ApiProperty({ example: true })
  connected!: boolean;

  @ApiProperty({ enum: SERVICES, example: 'DROP' })
  service!: ServiceName;

  @ApiPropertyOptional({ example: 'premium', description: 'Present when the caller holds an entitlement' })
  tier?: string;

  @ApiPropertyOptional({ example: true, description: 'Present when the caller holds an entitlement' })
  isPremium?: boolean;

  @ApiPropertyOptional({ example: Messages.noEntitlement, description: 'Present when the caller holds no entitlement' })
  message?: string;
}

export class EntitlementListResponse {
  @ApiProperty({ type: [EntitlementDto] })
  entitlements!: EntitlementDto[];
}

export class EntitlementResponse {
  @ApiProperty({ type: EntitlementDto })
  entitlement!: EntitlementDto;
}
