import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { SERVICES } from './services';
import { Messages } from './messages';

/**
 * Validation rules that several DTOs share exist once, here (as Immich's validation.ts).
 * Decorators stacked on a property run bottom-up (applyDecorators runs its list in order), and
 * only the first failure is answered (stopAtFirstError): a type check sits nearest the property,
 * so a number where a string belongs is told "must be a string" (dto-types.spec.ts).
 */

/** Trims and lower-cases before checking the format: emails fold case (flaw 18). */
export function normaliseEmail(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

export const IsNullPassEmail = () =>
  applyDecorators(
    ApiProperty({ example: 'jsmith@example.com', format: 'email', maxLength: 254 }),
    Transform(({ value }) => normaliseEmail(value)),
    IsString({ message: 'Email must be a string' }),
    MaxLength(254, { message: 'Email is too long' }),
    IsEmail({}, { message: 'Invalid email address' }),
  );

/** A login password as given (only its presence and size are checked). */
export const IsGivenPassword = (field = 'password') =>
  applyDecorators(
    ApiProperty({ example: 'securepassword123', maxLength: 256 }),
    IsString({ message: `${field} must be a string` }),
    IsNotEmpty({ message: 'Password is required' }),
    MaxLength(256, { message: 'Password must be at most 256 characters' }),
  );

/** A new password: 8 to 256 characters (NIST 800-63B asks to permit at least 64). */
export const IsNewPassword = (field = 'password') =>
  applyDecorators(
    ApiProperty({ example: 'correct horse battery staple', minLength: 8, maxLength: 256 }),
    IsString({ message: `${field} must be a string` }),
    Length(8, 256, { message: 'Password must be between 8 and 256 characters' }),
  );

/** A TOTP code (6 digits) or a recovery code (xxxxx-xxxxx); optional where 2FA may be off. */
export const TotpCode = (options: { required?: boolean } = {}) =>
  applyDecorators(
    options.required
      ? ApiProperty({ example: '123456', description: 'TOTP code from the authenticator app, or a recovery code' })
      : ApiPropertyOptional({ example: '123456', description: 'Required if 2FA is enabled. TOTP code from authenticator app, or a recovery code.' }),
    ...(options.required ? [IsNotEmpty({ message: '2FA verification code is required' })] : [IsOptional()]),
    IsString({ message: 'verificationCode must be a string' }),
    MaxLength(32, { message: 'verificationCode is too long' }),
  );

export const ServiceName = () =>
  applyDecorators(
    ApiProperty({ enum: SERVICES, example: 'DROP' }),
    IsIn(SERVICES as unknown as string[], { message: Messages.invalidService }),
  );

export const DisplayName = () =>
  applyDecorators(
    ApiPropertyOptional({ example: 'Jane Smith', minLength: 1, maxLength: 100 }),
    IsOptional(),
    IsString({ message: 'displayName must be a string' }),
    Length(1, 100, { message: 'displayName must be between 1 and 100 characters' }),
    // Control characters have no place in a name, and a NUL byte would make PostgreSQL fail (500).
    // eslint-disable-next-line no-control-regex
    Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'displayName must not contain control characters' }),
  );
