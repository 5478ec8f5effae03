import { ApiProperty } from '@nestjs/swagger';
import { AdminUserDto } from './admin.dto';

/**
 * What a sibling service learns about a user: what an administrator sees, and whether 2FA
 * is on. Unlike the original (flaw 14) there is no password hash, no 2FA secret and no
 * payment id here, because the mapper names none.
 */
export class InternalUserDto extends AdminUserDto {
  @ApiProperty({ example: false })
  twoFactorEnabled!: boolean;
}

export class InternalUserResponse {
  @ApiProperty({ type: InternalUserDto })
  user!: InternalUserDto;
}
