import { BadRequestException, CallHandler, ExecutionContext, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';
import { Messages } from '../common/messages';
import { AVATAR_MAX_BYTES } from './avatar-storage';

export const AVATAR_FIELD = 'avatar';

/**
 * The platform's own multipart support (multer, memory storage: no storage engine is
 * given, so the file never touches the disk before its bytes are judged). multer stops
 * reading one byte past 2 MiB, so a file of exactly 2 MiB is accepted and anything
 * larger is cut off early; its "too large" error (413 in Nest) is the contract's 400.
 */
@Injectable()
export class AvatarUploadInterceptor extends FileInterceptor(AVATAR_FIELD, {
  limits: { fileSize: AVATAR_MAX_BYTES + 1, files: 1, fields: 10, fieldSize: 1024, parts: 11 },
}) {
  override async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    try {
      return await super.intercept(context, next);
    } catch (error) {
      if (error instanceof PayloadTooLargeException) throw new BadRequestException(Messages.fileTooLarge);
      throw error;
    }
  }
}
