import { ApiProperty } from '@nestjs/swagger';
import { EntitlementDto } from '../../connect/dto/entitlement.dto';

/**
 * What a sibling service learns about a user. Unlike the original (flaw 14) there is no
 * password hash, no 2FA secret and no payment id here, because the mapper names none.
 */
export class InternalUserDto {
  @ApiProperty({ example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  id!: string;

  @ApiProperty({ example: 'jsmith@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Jane Smith' })
  displayName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  avatar!: string | null;

  @ApiProperty({ example: false })
  twoFactorEnabled!: boolean;

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

export class InternalUserResponse {
  @ApiProperty({ type: InternalUserDto })
  user!: InternalUserDto;
}
