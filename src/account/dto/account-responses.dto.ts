import { ApiProperty } from '@nestjs/swagger';

/** Seeds 001-003: `{success, message}`. */
export class AccountActionResponse {
  @ApiProperty({ example: true, description: 'Always true on success' })
  success!: true;

  @ApiProperty({ example: 'Account disabled successfully' })
  message!: string;
}

export class AvatarUploadResponse {
  @ApiProperty({
    example: '6f1c2a7e-0d9b-4b8e-8f5e-2b7d9c1e4a20/3f9a1c0e7b2d4e6f8a1b2c3d4e5f6a7b.png',
    description: '"<userId>/<generated file name>" under AVATAR_DIR',
  })
  avatar!: string;

  @ApiProperty({ example: 'Avatar uploaded successfully' })
  message!: string;
}
