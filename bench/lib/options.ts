import { parseArgs } from 'node:util';

export type DbKind = 'sqlite' | 'postgres';

export interface BenchOptions {
  db: DbKind;
  /** Scenario names to run; empty = all, in their declared order. */
  scenarios: string[];
  /** Seconds of measured load per phase. */
  duration: number;
  /** Seconds of unmeasured load before each phase (JIT, pools, caches). */
  warmup: number;
  /** A load and its baseline are measured in this many interleaved slices each (1: one whole phase each). */
  rounds: number;
  /** autocannon connections for the throughput phases. */
  connections: number;
  /** Connections of the login phases (bcrypt-bound: a few more than the thread pool is enough). */
  loginConnections: number;
  /** Connections of the validation load that runs during the login storm. */
  stormConnections: number;
  /** BCRYPT_ROUNDS of the login scenarios. */
  bcryptRounds: number;
  /** Users registered for the validation scenarios (each connection uses one of their tokens). */
  users: number;
  /** PostgreSQL server for --db postgres (a fresh schema is created in it and dropped after). */
  databaseUrl: string;
  /** Where the JSON results go (bench/results by default). */
  resultsDir: string;
  /** Write JSON results (off with --no-write, e.g. for a quick look). */
  write: boolean;
  /** Before each scenario, wait up to this many seconds for the rest of the machine to go quiet. */
  quietWait: number;
  /** Run the app under `node --cpu-prof`, profiles written here. */
  cpuProfDir?: string;
  /**
   * A database filled by `npm run seed:bulk` (sqlite:<file> or postgres://…): the scale
   * scenario runs on it (the seeding is not timed, the database is never dropped).
   */
  seeded?: SeededSource;
  /**
   * A smaller database of the same kind, seeded with the same key (--seeded-small): the scale
   * scenario then measures both sizes in one run, their loads interleaved, and checks the
   * large size's p99 against the small size's.
   */
  seededSmall?: SeededSource;
  list: boolean;
  help: boolean;
}

/** The kind of database a --seeded URL names, or null for neither. */
function seededKind(url: string): 'sqlite' | 'postgres' | null {
  return url.startsWith('sqlite:') ? 'sqlite' : /^postgres(ql)?:\/\//.test(url) ? 'postgres' : null;
}

/** A database filled by `npm run seed:bulk`, and the IP_ENCRYPTION_KEY it was seeded with. */
export interface SeededSource {
  url: string;
  schema?: string;
  ipKey: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --db sqlite|postgres        database of the app (default sqlite: a fresh file in a temp dir)
  --scenario <name>           run one scenario (repeat or comma-separate for several; default: all)
  --duration <s>              measured seconds per phase (default 10)
  --warmup <s>                unmeasured seconds before each phase (default 2)
  --rounds <n>                a load and its baseline alternate in n slices of duration/n seconds
                              (default 5; 1: each one whole phase, one after the other)
  --connections <n>           autocannon connections of the throughput phases (default 50)
  --login-connections <n>     connections of the login phases (default 8)
  --storm-connections <n>     connections of GET /api/auth/me during the login storm (default 10)
  --bcrypt-rounds <n>         BCRYPT_ROUNDS of the login scenarios (default 12)
  --users <n>                 users behind the validation tokens (default 20)
  --database-url <url>        PostgreSQL for --db postgres (default postgres://postgres@127.0.0.1:5432/test)
  --quiet-wait <s>            before each scenario, wait up to <s> seconds until other processes use
                              < 0.3 cores (a shared machine; default 0: start at once)
  --results-dir <dir>         where JSON results go (default bench/results)
  --no-write                  print only, write no JSON
  --seeded <url>              scale scenario: a database filled by npm run seed:bulk (sqlite:<file> or
                              postgres://…); --db follows it. Never dropped
  --seeded-schema <name>      its PostgreSQL schema (seed:bulk --schema)
  --seed-ip-key <key>         the IP_ENCRYPTION_KEY it was seeded with (default: IP_ENCRYPTION_KEY)
  --seeded-small <url>        scale scenario: a smaller seeded database of the same kind and key; both
                              sizes are then measured in one run, interleaved, and compared (p99 ratio)
  --seeded-small-schema <n>   its PostgreSQL schema
  --cpu-prof [dir]            run the app under node --cpu-prof (profiles in dir, default /tmp/nullpass-bench-profiles)
  --list                      list the scenarios and exit
  --help`;

function intIn(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`--${name} must be between ${min} and ${max} (got ${value})`);
  return value;
}

export function parseOptions(argv: string[], defaultResultsDir: string): BenchOptions {
  // --cpu-prof may be given without a directory.
  const args = [...argv];
  const profIndex = args.indexOf('--cpu-prof');
  let cpuProfDir: string | undefined;
  if (profIndex >= 0) {
    const next = args[profIndex + 1];
    if (next !== undefined && !next.startsWith('--')) {
      cpuProfDir = next;
      args.splice(profIndex, 2);
    } else {
      cpuProfDir = '/tmp/nullpass-bench-profiles';
      args.splice(profIndex, 1);
    }
  }
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      db: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'login-connections': { type: 'string' },
      'storm-connections': { type: 'string' },
      'bcrypt-rounds': { type: 'string' },
      users: { type: 'string' },
      'database-url': { type: 'string' },
      'results-dir': { type: 'string' },
      'quiet-wait': { type: 'string' },
      'no-write': { type: 'boolean' },
      seeded: { type: 'string' },
      'seeded-schema': { type: 'string' },
      'seed-ip-key': { type: 'string' },
      'seeded-small': { type: 'string' },
      'seeded-small-schema': { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  let seeded: BenchOptions['seeded'];
  if (values.seeded !== undefined) {
    const kind = seededKind(values.seeded);
    if (!kind) throw new Error('--seeded must be sqlite:<file> or a postgres:// URL');
    const ipKey = values['seed-ip-key'] ?? process.env.IP_ENCRYPTION_KEY;
    if (!ipKey) throw new Error('--seeded needs the IP_ENCRYPTION_KEY the database was seeded with (--seed-ip-key or IP_ENCRYPTION_KEY)');
    if (values.db !== undefined && values.db !== kind) throw new Error(`--db ${values.db} does not match --seeded (${kind})`);
    values.db = kind;
    seeded = { url: values.seeded, schema: values['seeded-schema'], ipKey };
  } else if (values['seeded-schema'] !== undefined || values['seed-ip-key'] !== undefined || values['seeded-small'] !== undefined) {
    throw new Error('--seeded-schema, --seed-ip-key and --seeded-small go with --seeded');
  }
  let seededSmall: BenchOptions['seededSmall'];
  if (values['seeded-small'] !== undefined) {
    if (seededKind(values['seeded-small']) !== values.db) throw new Error(`--seeded-small must be a database of the same kind as --seeded (${values.db})`);
    seededSmall = { url: values['seeded-small'], schema: values['seeded-small-schema'], ipKey: seeded!.ipKey };
    if (seededSmall.url === seeded!.url && seededSmall.schema === seeded!.schema) throw new Error('--seeded-small names the same database as --seeded');
  } else if (values['seeded-small-schema'] !== undefined) {
    throw new Error('--seeded-small-schema goes with --seeded-small');
  }
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db must be sqlite or postgres (got "${db}")`);
  const databaseUrl = values['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('--database-url must be a postgres:// URL');
  return {
    db,
    scenarios: (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean),
    duration: intIn('duration', values.duration, 10, 1, 600),
    warmup: intIn('warmup', values.warmup, 2, 0, 60),
    rounds: intIn('rounds', values.rounds, 5, 1, 100),
    connections: intIn('connections', values.connections, 50, 1, 1000),
    loginConnections: intIn('login-connections', values['login-connections'], 8, 1, 200),
    stormConnections: intIn('storm-connections', values['storm-connections'], 10, 1, 1000),
    bcryptRounds: intIn('bcrypt-rounds', values['bcrypt-rounds'], 12, 4, 15),
    users: intIn('users', values.users, 20, 1, 1000),
    databaseUrl,
    resultsDir: values['results-dir'] ?? defaultResultsDir,
    write: !values['no-write'],
    quietWait: intIn('quiet-wait', values['quiet-wait'], 0, 0, 3600),
    cpuProfDir,
    seeded,
    seededSmall,
    list: values.list ?? false,
    help: values.help ?? false,
  };
}
