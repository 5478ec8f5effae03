import { randomBytes } from 'node:crypto';
import { registerAs } from '@nestjs/config';
import { SERVICES } from '../common/services';

/**
 * Every setting NullPass reads, parsed and validated once at start.
 * `process.env` is read here and nowhere else (house style): the rest of the code
 * injects one of the typed namespaces below.
 */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${setting} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const warnings: string[] = [];
/** Dev secrets are generated once per process, however often a namespace is parsed. */
const generatedSecrets = new Map<string, string>();
/** Warnings produced while parsing (dev secrets generated); main.ts logs them once. */
export function configWarnings(): readonly string[] {
  return warnings;
}

function str(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function url(env: Env, name: string, fallback: string | undefined, schemes: string[]): string | undefined {
  const raw = optional(env, name) ?? fallback;
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use one of ${schemes.join(', ')}`);
  }
  return raw.replace(/\/+$/, '');
}

export const isProduction = (env: Env = process.env): boolean => env.NODE_ENV === 'production';

/** A secret that production must be given; development gets a random one and a warning. */
function secret(env: Env, name: string, minLength = 32): string {
  const value = optional(env, name);
  if (value !== undefined) {
    if (value.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
    if (isProduction(env) && /change[-_ ]?me|example|placeholder|secret$/i.test(value)) {
      throw new ConfigError(name, 'is a placeholder; set a real secret in production');
    }
    return value;
  }
  if (isProduction(env)) throw new ConfigError(name, 'is required when NODE_ENV=production');
  const known = generatedSecrets.get(name);
  if (known) return known;
  const generated = randomBytes(32).toString('base64url');
  generatedSecrets.set(name, generated);
  warnings.push(
    `${name} is not set: a random one was generated for this process (tokens and stored IPs will not survive a restart). Set it in .env for anything but a quick try.`,
  );
  return generated;
}

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseSettings {
  kind: DatabaseKind;
  /** SQLite file path (":memory:" allowed) or the PostgreSQL URL. */
  location: string;
  schema?: string;
  migrationsRun: boolean;
  poolSize: number;
  /**
   * SQLite only. `exclusive` (default): the service holds the file for as long as it runs,
   * so no statement pays the file-lock system calls of a shared file (two fcntl and an
   * fstat per statement; under load the largest cost of a token check, bench/README.md);
   * no other process can open the file meanwhile. `normal`: SQLite's shared locking, for
   * tools (npm run admin:grant, the sqlite3 shell) that open the file while the service runs.
   */
  sqliteLocking: SqliteLocking;
}

export type SqliteLocking = 'exclusive' | 'normal';

export function parseDatabaseUrl(raw: string, name = 'DATABASE_URL'): Pick<DatabaseSettings, 'kind' | 'location'> {
  if (raw.startsWith('sqlite:')) {
    const location = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!location) throw new ConfigError(name, 'needs a file path after "sqlite:"');
    return { kind: 'sqlite', location };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError(name, 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', location: raw };
  }
  throw new ConfigError(name, 'must start with "sqlite:" or "postgres://"');
}

/**
 * Which database the entities are being declared for (column types differ). Read when the
 * entity files load, so it never throws: a malformed DATABASE_URL is reported, in one
 * line, by the validation at start instead of as a stack trace from an import.
 */
export function databaseKindFromEnv(env: Env = process.env): DatabaseKind {
  return /^postgres(ql)?:\/\//.test(str(env, 'DATABASE_URL', '')) ? 'postgres' : 'sqlite';
}

function trustProxy(env: Env): boolean | number | string[] {
  const raw = optional(env, 'TRUST_PROXY');
  if (raw === undefined || /^(false|none|0)$/i.test(raw)) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  for (const entry of entries) {
    const ok =
      named.has(entry) ||
      /^[\d.]+(\/\d{1,2})?$/.test(entry) ||
      /^[0-9a-f:]+(\/\d{1,3})?$/i.test(entry);
    if (!ok) throw new ConfigError('TRUST_PROXY', `has an entry that is not loopback, a CIDR, an address or a hop count: "${entry}"`);
  }
  return entries;
}

function polarProducts(env: Env): Record<string, string> {
  const raw = optional(env, 'POLAR_PRODUCTS');
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('POLAR_PRODUCTS', 'must be JSON such as {"premium:monthly":"<product id>"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('POLAR_PRODUCTS', 'must be a JSON object');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!/^[a-z0-9_-]+:(monthly|yearly)$/.test(key) || typeof value !== 'string' || !value) {
      throw new ConfigError('POLAR_PRODUCTS', `entry "${key}" must map "<plan>:<monthly|yearly>" to a product id`);
    }
    out[key] = value;
  }
  return out;
}

export const appConfig = registerAs('app', () => {
  const env = process.env;
  const level = str(env, 'LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }
  return {
    production: isProduction(env),
    port: int(env, 'PORT', 3000, 0, 65535),
    host: str(env, 'HOST', '0.0.0.0'),
    trustProxy: trustProxy(env),
    allowedOrigins: (optional(env, 'ALLOWED_ORIGINS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel: level,
    /** Log one line per request (off by default in benchmarks). */
    requestLogging: bool(env, 'REQUEST_LOGGING', true),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 600000),
    metricsToken: optional(env, 'METRICS_TOKEN'),
  };
});

export const databaseConfig = registerAs('database', (): DatabaseSettings => {
  const env = process.env;
  const { kind, location } = parseDatabaseUrl(str(env, 'DATABASE_URL', 'sqlite:./data/nullpass.sqlite'));
  return {
    kind,
    location,
    schema: optional(env, 'DATABASE_SCHEMA'),
    migrationsRun: bool(env, 'MIGRATIONS_RUN', true),
    poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    sqliteLocking: sqliteLocking(env),
  };
});

function sqliteLocking(env: Env): SqliteLocking {
  const value = str(env, 'SQLITE_LOCKING', 'exclusive').toLowerCase();
  if (value !== 'exclusive' && value !== 'normal') throw new ConfigError('SQLITE_LOCKING', `must be exclusive or normal (got "${value}")`);
  return value;
}

export const securityConfig = registerAs('security', () => {
  const env = process.env;
  return {
    jwtSecret: secret(env, 'JWT_SECRET'),
    jwtSecretPrevious: optional(env, 'JWT_SECRET_PREVIOUS'),
    sessionExpiresDays: int(env, 'SESSION_EXPIRES_DAYS', 7, 1, 365),
    ipEncryptionKey: secret(env, 'IP_ENCRYPTION_KEY'),
    bcryptRounds: int(env, 'BCRYPT_ROUNDS', 12, 4, 15),
    totpWindow: int(env, 'TOTP_WINDOW', 1, 0, 10),
    internalSecret: optional(env, 'INTERNAL_SECRET'),
  };
});

export const rateLimitConfig = registerAs('rateLimit', () => {
  const env = process.env;
  return {
    /** Lifts every request limit (benchmarks only; refused in production). */
    disabled: bool(env, 'RATE_LIMIT_DISABLED', false),
    readPerMinute: int(env, 'RATE_LIMIT_READ_PER_MINUTE', 600, 1, 10_000_000),
    writePerMinute: int(env, 'RATE_LIMIT_WRITE_PER_MINUTE', 60, 1, 10_000_000),
    authPerMinute: int(env, 'RATE_LIMIT_AUTH_PER_MINUTE', 20, 1, 10_000_000),
    loginFailureWindowMinutes: int(env, 'LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 1440),
    loginFailuresPerEmailIp: int(env, 'LOGIN_FAILURES_PER_EMAIL_IP', 5, 1, 1_000_000),
    loginFailuresPerEmail: int(env, 'LOGIN_FAILURES_PER_EMAIL', 20, 1, 1_000_000),
    loginFailuresPerIp: int(env, 'LOGIN_FAILURES_PER_IP', 50, 1, 1_000_000),
    redisUrl: url(env, 'REDIS_URL', undefined, ['redis:', 'rediss:']),
    /** Prefix of every Redis key, so several deployments (or test runs) can share a server. */
    redisKeyPrefix: str(env, 'REDIS_KEY_PREFIX', 'nullpass:'),
  };
});

export const polarConfig = registerAs('polar', () => {
  const env = process.env;
  // One webhook secret per product, named after it: <SERVICE>_POLAR_SECRET.
  const webhookSecrets: Record<string, string | undefined> = Object.fromEntries(
    SERVICES.map((service) => [service, optional(env, `${service}_POLAR_SECRET`)]),
  );
  return {
    apiUrl: url(env, 'POLAR_API_URL', 'https://api.polar.sh', ['https:', 'http:']) as string,
    accessToken: optional(env, 'POLAR_ACCESS_TOKEN'),
    webhookSecrets,
    products: polarProducts(env),
    timeoutMs: int(env, 'POLAR_TIMEOUT_MS', 5000, 100, 60000),
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 2000, 50, 600000),
  };
});

export const storageConfig = registerAs('storage', () => ({
  avatarDir: str(process.env, 'AVATAR_DIR', './data/avatars'),
}));

export const allConfig = [appConfig, databaseConfig, securityConfig, rateLimitConfig, polarConfig, storageConfig];

/** Parses every namespace eagerly so that a bad setting stops the process at start. */
export function validateAllConfig(): void {
  for (const factory of allConfig) factory();
  const rl = rateLimitConfig();
  if (rl.disabled && isProduction()) {
    throw new ConfigError('RATE_LIMIT_DISABLED', 'cannot be true when NODE_ENV=production');
  }
}
