import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength } from 'class-validator';
import { Messages } from '../../common/messages';

/**
 * A DNS host name (RFC 1123): dot-separated labels of 1 to 63 letters, digits or inner
 * hyphens, at least two labels, a top-level label that starts with a letter (so no bare
 * IP address), at most 253 characters in all. Checked after trimming and lower-casing.
 */
export const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class CustomDomainDto {
  @ApiProperty({ example: 'files.example.com', maxLength: 253, description: 'A host name; stored lower-cased' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @MaxLength(253, { message: Messages.invalidDomain })
  @Matches(HOST_NAME, { message: Messages.invalidDomain })
  @IsString({ message: Messages.invalidDomain })
  domain!: string;
}

export class CustomDomainResponse {
  @ApiProperty({ type: String, nullable: true, example: 'files.example.com' })
  customDomain!: string | null;

  @ApiProperty({ example: false })
  customDomainVerified!: boolean;

  @ApiProperty({ example: true })
  hasCustomDomain!: boolean;
}

export class DomainConnectedResponse {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ example: 'files.example.com' })
  domain!: string;

  @ApiProperty({ example: Messages.domainConnected })
  message!: string;
}

export class DomainDisconnectedResponse {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ example: Messages.domainDisconnected })
  message!: string;
}
