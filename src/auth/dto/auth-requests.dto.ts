import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TOKEN_MAX_LENGTH } from '../token.service';
import { DisplayName, IsGivenPassword, IsNewPassword, IsNullPassEmail, TotpCode } from '../../common/validation';
import { ValidationShortcut } from '../../common/validation.pipe';

export class RegisterDto {
  @IsNullPassEmail()
  email!: string;

  @IsNewPassword()
  password!: string;

  @DisplayName()
  displayName?: string;
}

/** Seed 004's body. */
export class LoginDto {
  @IsNullPassEmail()
  email!: string;

  @IsGivenPassword()
  password!: string;

  @TotpCode()
  verificationCode?: string;
}

export class LoginTwoFactorDto {
  @ApiProperty({ description: 'The pendingToken of the first login step', example: 'eyJhbGciOiJIUzI1NiIs…', maxLength: TOKEN_MAX_LENGTH })
  @IsNotEmpty({ message: 'pendingToken is required' })
  @MaxLength(TOKEN_MAX_LENGTH)
  @IsString({ message: 'pendingToken must be a string' })
  pendingToken!: string;

  @TotpCode({ required: true })
  verificationCode!: string;
}

export class UpdateProfileDto {
  @DisplayName()
  displayName?: string;

  @ApiPropertyOptional({ example: 'https://cdn.example.com/me.png', description: 'An https:// URL, or "" to clear' })
  @IsOptional()
  @MaxLength(2048, { message: 'avatar is too long' })
  // No whitespace or control characters: a NUL byte would make PostgreSQL fail (500).
  // eslint-disable-next-line no-control-regex
  @Matches(/^(|https:\/\/[^\s\u0000-\u001f\u007f]+)$/, { message: 'avatar must be an https:// URL or empty' })
  @IsString({ message: 'avatar must be a string' })
  avatar?: string;
}

export class ChangePasswordDto {
  @IsGivenPassword('currentPassword')
  currentPassword!: string;

  @IsNewPassword('newPassword')
  newPassword!: string;

  @TotpCode()
  verificationCode?: string;
}

/** `{"token": "<a string no longer than a token is read>"}`: what a sibling product sends. */
function plainTokenBody(value: unknown): { token: string } | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'token') return undefined;
  const { token } = value as { token: unknown };
  return typeof token === 'string' && token.length <= TOKEN_MAX_LENGTH ? { token } : undefined;
}

@ValidationShortcut(plainTokenBody)
export class VerifyTokenDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIs…', maxLength: TOKEN_MAX_LENGTH })
  @IsOptional()
  @MaxLength(TOKEN_MAX_LENGTH)
  @IsString({ message: 'token must be a string' })
  token?: string;
}

export class SessionQueryDto {
  @ApiPropertyOptional({ description: 'One session to end; without it, all of them', example: '0b7f3c5e-2d41-4f6a-9c8b-1e2d3f4a5b6c' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  id?: string;
}

export class TwoFactorDto {
  @ApiProperty({ description: 'true to set up or confirm 2FA, false to disable it', example: true })
  @IsBoolean({ message: 'enable must be a boolean' })
  enable!: boolean;

  @TotpCode()
  verificationCode?: string;

  @ApiPropertyOptional({ example: 'securepassword123', description: 'Required to confirm or to disable' })
  @IsOptional()
  @MaxLength(256)
  @IsString({ message: 'password must be a string' })
  password?: string;

  @ApiPropertyOptional({ description: 'If sent, must equal the pending secret of the setup step', example: 'JBSWY3DPEHPK3PXP' })
  @IsOptional()
  @MaxLength(128)
  @IsString({ message: 'secret must be a string' })
  secret?: string;
}

export class RecoveryCodesDto {
  @IsGivenPassword()
  password!: string;

  @TotpCode({ required: true })
  verificationCode!: string;
}
