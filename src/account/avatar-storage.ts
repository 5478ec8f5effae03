import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, realpath, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { storageConfig } from '../config/configuration';

/** Spec: an avatar file is at most 2 MiB. */
export const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

export type AvatarExtension = 'jpg' | 'png' | 'webp' | 'gif';

export const AVATAR_CONTENT_TYPES: Record<AvatarExtension, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * The only stored value that names a file: "<userId>/<generated name>.<ext>", exactly as
 * the upload writes it. Anything else (../, absolute paths, file: and other schemes,
 * percent-encoded separators, backslashes) is simply not a stored file (flaw 15).
 */
const STORED_AVATAR = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([a-z0-9]+)\.(jpg|png|webp|gif)$/;

/** The image type told by the file's own first bytes, never by the client's name or mimetype. */
export function detectImageType(bytes: Buffer): AvatarExtension | null {
  const starts = (sig: number[], at = 0) => bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'jpg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'gif';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  return null;
}

export interface StoredAvatarFile {
  path: string;
  extension: AvatarExtension;
}

/**
 * Where a stored avatar value of this user lives, or null when the value does not name
 * one of this user's files. The resolved path is checked to be directly inside
 * `<root>/<userId>/` as well, so no value can ever reach outside AVATAR_DIR.
 */
export function storedAvatarFile(root: string, userId: string, value: string | null | undefined): StoredAvatarFile | null {
  if (!value || !USER_ID.test(userId)) return null;
  const match = STORED_AVATAR.exec(value);
  if (!match || match[1] !== userId) return null;
  const userDir = resolve(root, userId);
  const path = resolve(userDir, `${match[2]}.${match[3]}`);
  if (dirname(path) !== userDir || !path.startsWith(resolve(root) + sep)) return null;
  return { path, extension: match[3] as AvatarExtension };
}

/** Whether a stored avatar value is an external https URL (served as a redirect). */
export function httpsAvatarUrl(value: string | null | undefined): string | null {
  if (!value || !value.startsWith('https://')) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const logger = new Logger('AvatarStorage');

/**
 * Whether `<root>/<userId>` really is that directory, not a link to somewhere else: the
 * path checks above are lexical, this one asks the file system.
 */
async function isRealUserDirectory(root: string, userId: string): Promise<boolean> {
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(join(root, userId))]);
  return realDir === join(realRoot, userId);
}

/**
 * Removes the file a stored avatar value names, if it is one of this user's files;
 * anything else is left alone. Called after the change that replaced the value has
 * committed; a failure is logged, never turned into an error for a committed change.
 */
export async function removeStoredAvatar(root: string, userId: string, value: string | null | undefined): Promise<void> {
  const file = storedAvatarFile(root, userId, value);
  if (!file) return;
  try {
    if (!(await isRealUserDirectory(root, userId))) return;
    await unlink(file.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warn({ userId, err: (error as Error).message }, 'could not remove a replaced avatar file');
    }
  }
}

/** Avatar files under AVATAR_DIR: `<userId>/<random>.<ext>`, generated names only. */
@Injectable()
export class AvatarStorage {
  private readonly root: string;

  constructor(@Inject(storageConfig.KEY) config: ConfigType<typeof storageConfig>) {
    this.root = resolve(config.avatarDir);
  }

  /** Writes a new file (never overwriting one) and returns the value to store on the user. */
  async save(userId: string, bytes: Buffer, extension: AvatarExtension): Promise<string> {
    if (!USER_ID.test(userId)) throw new Error('avatar owner is not a user id');
    await mkdir(join(this.root, userId), { recursive: true, mode: 0o700 });
    if (!(await isRealUserDirectory(this.root, userId))) throw new Error('avatar directory is not a plain directory under AVATAR_DIR');
    const value = `${userId}/${randomBytes(16).toString('hex')}.${extension}`;
    await writeFile(join(this.root, value), bytes, { flag: 'wx', mode: 0o600 });
    return value;
  }

  /**
   * The bytes of one of this user's stored files, or null. The file is opened without
   * following a symbolic link, and its directory must really be `<AVATAR_DIR>/<userId>`.
   */
  async read(userId: string, value: string | null | undefined): Promise<{ bytes: Buffer; contentType: string } | null> {
    const file = storedAvatarFile(this.root, userId, value);
    if (!file) return null;
    try {
      if (!(await isRealUserDirectory(this.root, userId))) return null;
      const handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const stat = await handle.stat();
        if (!stat.isFile() || stat.size > AVATAR_MAX_BYTES) return null;
        return { bytes: await handle.readFile(), contentType: AVATAR_CONTENT_TYPES[file.extension] };
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return null;
      throw error;
    }
  }

  remove(userId: string, value: string | null | undefined): Promise<void> {
    return removeStoredAvatar(this.root, userId, value);
  }

  /** After an account deletion: the user's whole avatar directory. */
  async removeAll(userId: string): Promise<void> {
    if (!USER_ID.test(userId)) return;
    try {
      await rm(join(this.root, userId), { recursive: true, force: true });
    } catch (error) {
      logger.warn({ userId, err: (error as Error).message }, 'could not remove the avatar directory of a deleted account');
    }
  }
}
