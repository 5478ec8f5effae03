import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetail {
  @ApiProperty({ example: 'email' })
  field!: string;

  @ApiProperty({ example: 'email must be an email' })
  message!: string;
}

/** Every error answer: `{"error": "<one human message>"}`. */
export class ErrorResponse {
  @ApiProperty({ example: 'Invalid credentials' })
  error!: string;

  @ApiPropertyOptional({ type: [ErrorDetail] })
  details?: ErrorDetail[];
}
