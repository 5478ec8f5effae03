import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './support/app-process';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => {
  pragma(s: string): unknown;
  prepare(sql: string): { get(): unknown };
  close(): void;
};

/** A missing or malformed setting stops the real process with one line naming it. */
describe('Configuration at start', () => {
  const main = join(__dirname, '..', 'dist', 'src', 'main.js');
  beforeAll(() => ensureBuilt(), 120_000);
  // Each case starts the real process (twice in some); on a loaded machine loading Nest takes
  // seconds. A start that took 20 s was once killed silently under a seed run beside CI.
  jest.setTimeout(150_000);

  // A directory of its own, so a developer's ./.env cannot fill in what a case leaves out.
  const start = (env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'nullpass-config-'))) => {
    const clean = { ...process.env };
    for (const key of ['JWT_SECRET', 'IP_ENCRYPTION_KEY', 'DATABASE_URL', 'DATABASE_SCHEMA', 'NODE_ENV']) delete clean[key];
    return spawnSync(process.execPath, [main], { env: { ...clean, PORT: '0', LOG_LEVEL: 'silent', ...env }, cwd, encoding: 'utf8', timeout: 60_000 });
  };

  it.each([
    [{ DATABASE_URL: 'mysql://db/x' }, 'Invalid configuration: DATABASE_URL must start with "sqlite:" or "postgres://"'],
    [{ BCRYPT_ROUNDS: '99' }, 'Invalid configuration: BCRYPT_ROUNDS must be between 4 and 15 (got 99)'],
    [{ SQLITE_LOCKING: 'shared' }, 'Invalid configuration: SQLITE_LOCKING must be exclusive or normal (got "shared")'],
    [{ TRUST_PROXY: 'everyone' }, 'Invalid configuration: TRUST_PROXY has an entry that is not loopback, a CIDR, an address or a hop count: "everyone"'],
    [{ NODE_ENV: 'production' }, 'Invalid configuration: JWT_SECRET is required when NODE_ENV=production'],
    [
      { NODE_ENV: 'production', JWT_SECRET: 'a-real-production-secret-0123456789abcdef' },
      'Invalid configuration: IP_ENCRYPTION_KEY is required when NODE_ENV=production',
    ],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), IP_ENCRYPTION_KEY: 'y'.repeat(40), RATE_LIMIT_DISABLED: 'true' }, 'Invalid configuration: RATE_LIMIT_DISABLED cannot be true when NODE_ENV=production'],
  ])('refuses %j with exit 1 and one line', (env, line) => {
    const r = start(env);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(line);
  });

  it('reads ./.env before anything else (a bad setting there is reported the same way)', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nullpass-config-'));
    writeFileSync(join(cwd, '.env'), 'DATABASE_URL=mysql://from-dotenv/x\n');
    const r = start({}, cwd);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('Invalid configuration: DATABASE_URL must start with "sqlite:" or "postgres://"');
    // and the environment wins over the file
    const ok = start({ DATABASE_URL: 'sqlite::memory:', BCRYPT_ROUNDS: '3' }, cwd);
    expect(ok.stderr.trim()).toBe('Invalid configuration: BCRYPT_ROUNDS must be between 4 and 15 (got 3)');
  });

  it('on SQLite, stops with one line when another process holds the database file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nullpass-config-'));
    const file = join(dir, 'held.sqlite');
    // This (jest's) process plays the running service: an exclusive connection that has read the file.
    const held = new Database(file);
    held.pragma('journal_mode = WAL');
    held.pragma('locking_mode = EXCLUSIVE');
    held.prepare('SELECT count(*) FROM sqlite_master').get();
    try {
      const r = start({ DATABASE_URL: `sqlite:${file}` }, dir);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `NullPass failed to start: The SQLite database ${file} is in use by another process (a running NullPass holds it while SQLITE_LOCKING=exclusive, the default): ` +
          'stop that process first, or run both with SQLITE_LOCKING=normal',
      );
    } finally {
      held.close();
    }
  }, 30_000);
});
