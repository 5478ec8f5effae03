import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditContext } from '../audit/audit-context';
import { User } from '../auth/entities/user.entity';
import { Clock } from '../common/clock';
import { Messages } from '../common/messages';
import { UnitOfWork } from '../database/unit-of-work';
import { AVATAR_MAX_BYTES, AvatarStorage, detectImageType, httpsAvatarUrl } from './avatar-storage';
import type { AvatarUploadResponse } from './dto/account-responses.dto';
import { lockUser } from './locked-user';

/** What multer's memory storage hands the route (only what is used here). */
export interface UploadedAvatar {
  buffer: Buffer;
  size: number;
}

export type AvatarContent = { redirect: string } | { bytes: Buffer; contentType: string };

@Injectable()
export class AvatarService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly storage: AvatarStorage,
    private readonly auditContext: AuditContext,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Stores the new file first (disk work stays outside the transaction), then points the
   * user row at it; only once that has committed is the previous file removed, so a
   * failure never leaves the user without the avatar it had.
   */
  async upload(userId: string, file: UploadedAvatar | undefined): Promise<AvatarUploadResponse> {
    if (!file || !file.size) throw new BadRequestException(Messages.noFile);
    if (file.size > AVATAR_MAX_BYTES) throw new BadRequestException(Messages.fileTooLarge);
    const extension = detectImageType(file.buffer);
    if (!extension) throw new BadRequestException(Messages.invalidFileType);

    const avatar = await this.storage.save(userId, file.buffer, extension);
    let previous: string | null;
    try {
      previous = await this.uow.run(async (m) => {
        const user = await lockUser(m, userId);
        await m.getRepository(User).update({ id: userId }, { avatar, updatedAt: this.clock.now() });
        this.auditContext.add({ fields: ['avatar'] });
        return user.avatar;
      });
    } catch (error) {
      await this.storage.remove(userId, avatar);
      throw error;
    }
    if (previous !== avatar) await this.storage.remove(userId, previous);
    return { avatar, message: Messages.avatarUploaded };
  }

  /** The caller's avatar. */
  read(user: Pick<User, 'id' | 'avatar'>): Promise<AvatarContent> {
    return this.content(user);
  }

  /** A user's avatar, for sibling services (X-Internal-Secret). */
  async readFor(userId: string): Promise<AvatarContent> {
    const user = await this.dataSource.getRepository(User).findOne({ select: { id: true, avatar: true }, where: { id: userId } });
    if (!user) throw new NotFoundException(Messages.avatarNotFound);
    return this.content(user);
  }

  private async content(user: Pick<User, 'id' | 'avatar'>): Promise<AvatarContent> {
    const url = httpsAvatarUrl(user.avatar);
    if (url) return { redirect: url };
    const file = await this.storage.read(user.id, user.avatar);
    if (!file) throw new NotFoundException(Messages.avatarNotFound);
    return file;
  }
}
