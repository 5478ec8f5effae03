/**
 * Runs before every test file (jest setupFiles): picks the database this file will use,
 * before any entity module reads DATABASE_URL for its column types.
 * - default: a fresh SQLite file per test file, in the OS temp directory;
 * - TEST_DATABASE_URL=postgres://…: that server, in a schema of its own per file
 *   (created by the test app, dropped when it closes).
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
const pg = process.env.TEST_DATABASE_URL;

process.env.TZ = 'UTC';
process.env.NODE_ENV = 'test';
if (pg) {
  process.env.DATABASE_URL = pg;
  process.env.DATABASE_SCHEMA = `np_test_${id}`;
} else {
  process.env.DATABASE_URL = `sqlite:${join(tmpdir(), 'nullpass-test', `${id}.sqlite`)}`;
  delete process.env.DATABASE_SCHEMA;
}
process.env.JWT_SECRET ??= 'test-jwt-secret-0123456789abcdef0123456789';
process.env.IP_ENCRYPTION_KEY ??= 'test-ip-key-0123456789abcdef0123456789abcd';
process.env.BCRYPT_ROUNDS ??= '4';
process.env.LOG_LEVEL ??= 'silent';
process.env.RATE_LIMIT_READ_PER_MINUTE ??= '100000';
process.env.RATE_LIMIT_WRITE_PER_MINUTE ??= '100000';
process.env.RATE_LIMIT_AUTH_PER_MINUTE ??= '100000';
process.env.POLAR_API_URL ??= 'http://127.0.0.1:9';
process.env.AVATAR_DIR = join(tmpdir(), 'nullpass-test', `avatars_${id}`);
process.env.OUTBOX_POLL_MS ??= '600000';
