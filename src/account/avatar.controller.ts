import { Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Audit } from '../audit/audit.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { InternalOnly } from '../auth/decorators/internal-only.decorator';
import type { SessionUser } from '../auth/entities/user.entity';
import { ErrorResponse } from '../common/error-response.dto';
import { Messages } from '../common/messages';
import { RateLimit } from '../common/rate-limit/rate-limit.guard';
import { AVATAR_CONTENT_TYPES } from './avatar-storage';
import { AVATAR_FIELD, AvatarUploadInterceptor } from './avatar-upload.interceptor';
import { AvatarContent, AvatarService, type UploadedAvatar } from './avatar.service';
import { AvatarUploadResponse } from './dto/account-responses.dto';
import { ApiAccountGoneResponse } from '../auth/decorators/account-gone.decorator';

const IMAGE_TYPES = Object.values(AVATAR_CONTENT_TYPES);
const imageContent = Object.fromEntries(IMAGE_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]));
const avatarNotFound = () => new NotFoundException(Messages.avatarNotFound);

@ApiTags('Avatar')
@Controller('avatar')
export class AvatarController {
  constructor(private readonly avatars: AvatarService) {}

  @Post()
  @ApiAccountGoneResponse()
  @HttpCode(200)
  @RateLimit('write')
  @Audit('USER_UPDATE')
  @UseInterceptors(AvatarUploadInterceptor)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Upload an avatar image',
    description:
      'Multipart field `avatar`, at most 2 MiB; JPEG, PNG, WebP or GIF as judged by the file\'s own bytes (the file name and the ' +
      'declared type are ignored). Stored under a generated name; the previous file is removed once the new one is in place.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', required: [AVATAR_FIELD], properties: { [AVATAR_FIELD]: { type: 'string', format: 'binary' } } },
  })
  @ApiOkResponse({ type: AvatarUploadResponse })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: `${Messages.noFile}, ${Messages.fileTooLarge}, or ${Messages.invalidFileType}`,
  })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / Account is disabled' })
  upload(@CurrentUser() user: SessionUser, @UploadedFile() file: UploadedAvatar | undefined): Promise<AvatarUploadResponse> {
    return this.avatars.upload(user.id, file);
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: "The caller's avatar: the image, or a redirect to its https URL" })
  @ApiOkResponse({ description: 'The image bytes (Cache-Control: private, max-age=3600)', content: imageContent })
  @ApiFoundResponse({ description: 'Redirect to the https avatar URL' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: Messages.avatarNotFound })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing or unusable token' })
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Account is banned / Account is disabled' })
  async mine(@CurrentUser() user: SessionUser, @Res() res: Response): Promise<void> {
    send(res, await this.avatars.read(user));
  }

  @Get(':userId')
  @InternalOnly()
  @ApiOperation({ summary: "A user's avatar, for sibling services (X-Internal-Secret)" })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ description: 'The image bytes (Cache-Control: private, max-age=3600)', content: imageContent })
  @ApiFoundResponse({ description: 'Redirect to the https avatar URL' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: Messages.avatarNotFound })
  async forUser(
    @Param('userId', new ParseUUIDPipe({ exceptionFactory: avatarNotFound })) userId: string,
    @Res() res: Response,
  ): Promise<void> {
    send(res, await this.avatars.readFor(userId));
  }
}

function send(res: Response, content: AvatarContent): void {
  res.setHeader('Cache-Control', 'private, max-age=3600');
  if ('redirect' in content) {
    res.redirect(302, content.redirect);
    return;
  }
  res.setHeader('Content-Type', content.contentType);
  res.setHeader('Content-Disposition', 'inline');
  res.send(content.bytes);
}
