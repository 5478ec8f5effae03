import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EntitlementDto } from '../../connect/dto/entitlement.dto';

export class RegisteredUserDto {
  @ApiProperty({ example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  id!: string;

  @ApiProperty({ example: 'jsmith@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Jane Smith' })
  displayName!: string | null;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  createdAt!: string;
}

export class RegisterResponse {
  @ApiProperty({ type: RegisteredUserDto })
  user!: RegisteredUserDto;

  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIs…' })
  token!: string;
}

export class LoginUserDto extends RegisteredUserDto {
  @ApiProperty({ type: String, nullable: true, example: 'https://cdn.example.com/me.png' })
  avatar!: string | null;

  @ApiProperty({ example: false })
  twoFactorEnabled!: boolean;
}

/** Seed 004, "Without 2FA or Valid Code". */
export class LoginResponse {
  @ApiProperty({ type: LoginUserDto })
  user!: LoginUserDto;

  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIs…' })
  token!: string;

  @ApiProperty({ type: [EntitlementDto] })
  services!: EntitlementDto[];

  @ApiProperty({ example: false, description: 'Whether the user account is banned' })
  banned!: boolean;

  @ApiProperty({ example: false, description: 'Whether the user account is disabled' })
  disabled!: boolean;
}

export class PartialUserDto {
  @ApiProperty({ example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  id!: string;

  @ApiProperty({ example: 'jsmith@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Jane Smith' })
  displayName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  avatar!: string | null;
}

/** Seed 004, "2FA Required". */
export class LoginPendingResponse {
  @ApiProperty({ type: PartialUserDto })
  user!: PartialUserDto;

  @ApiProperty({ example: true })
  requires2FA!: true;

  @ApiProperty({ description: 'Temporary token for the second step (5 minutes, single use). Not a bearer token.' })
  pendingToken!: string;

  @ApiProperty({ example: '2FA verification required' })
  message!: string;
}

export class ProfileDto extends LoginUserDto {
  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  updatedAt!: string;
}

export class ProfileResponse {
  @ApiProperty({ type: ProfileDto })
  user!: ProfileDto;
}

export class MeDto extends ProfileDto {
  @ApiProperty({ example: false })
  banned!: boolean;

  @ApiProperty({ example: false })
  disabled!: boolean;

  @ApiProperty({ example: 10, description: 'Unused 2FA recovery codes' })
  recoveryCodesRemaining!: number;

  @ApiProperty({ type: [EntitlementDto] })
  serviceAccess!: EntitlementDto[];
}

export class MeResponse {
  @ApiProperty({ type: MeDto })
  user!: MeDto;
}

export class SuccessResponse {
  @ApiProperty({ example: true })
  success!: boolean;
}

export class SuccessMessageResponse extends SuccessResponse {
  @ApiProperty({ example: 'Password changed successfully' })
  message!: string;
}

export class VerifyPayloadDto {
  @ApiProperty({ example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20' })
  userId!: string;

  @ApiProperty({ example: 'jsmith@example.com' })
  email!: string;

  @ApiProperty({ example: '0b7f3c5e-2d41-4f6a-9c8b-1e2d3f4a5b6c' })
  sessionId!: string;

  @ApiProperty({ example: '2023-11-14T05:31:56.000Z' })
  expiresAt!: string;

  @ApiProperty({ example: false })
  banned!: boolean;

  @ApiProperty({ example: false })
  disabled!: boolean;
}

export class VerifyResponse {
  @ApiProperty({ example: true })
  valid!: boolean;

  @ApiPropertyOptional({ enum: ['banned', 'disabled'], description: 'Why a genuine token is not valid' })
  reason?: 'banned' | 'disabled';

  @ApiProperty({ type: VerifyPayloadDto })
  payload!: VerifyPayloadDto;

  @ApiPropertyOptional({ type: [EntitlementDto] })
  services?: EntitlementDto[];
}

export class SessionDto {
  @ApiProperty({ example: '0b7f3c5e-2d41-4f6a-9c8b-1e2d3f4a5b6c' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' })
  userAgent!: string | null;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  createdAt!: string;

  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' })
  lastUsedAt!: string;

  @ApiProperty({ example: '2023-11-14T05:31:56.000Z' })
  expiresAt!: string;

  @ApiProperty({ example: true, description: 'The session of the token making this call' })
  current!: boolean;
}

export class SessionsResponse {
  @ApiProperty({ type: [SessionDto] })
  sessions!: SessionDto[];
}

export class TwoFactorSetupResponse {
  @ApiProperty({ example: 'data:image/png;base64,iVBORw0KGgo…' })
  qrCode!: string;

  @ApiProperty({ example: 'JBSWY3DPEHPK3PXP' })
  secret!: string;

  @ApiProperty({ example: 'JBSWY3DPEHPK3PXP' })
  manualEntryKey!: string;

  @ApiProperty({ example: 'Scan the QR code with your authenticator app' })
  message!: string;
}

export class TwoFactorStateResponse {
  @ApiProperty({ example: '2FA enabled successfully' })
  message!: string;

  @ApiProperty({ example: true })
  twoFactorEnabled!: boolean;

  @ApiPropertyOptional({ type: [String], example: ['abcde-fghij'], description: 'Shown once, on enabling' })
  recoveryCodes?: string[];
}

export class RecoveryCodesResponse {
  @ApiProperty({ type: [String], example: ['abcde-fghij', 'klmno-pqrst'] })
  recoveryCodes!: string[];
}
