import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freshDatabase, openSeeded, seededEnv, type SeededDatabase } from './database';
import { measure, measureFlow, measureFlowInterleaved, measureInterleaved, measureTogether, type FlowSpec, type LoadSpec, type Measurement } from './load';
import type { BenchOptions, SeededSource } from './options';
import { machineBusySeconds, onCleanup, runnerCpuSeconds, sampleProcess, startScriptNodeFlags, startServer, type ServerProcess } from './processes';

/** How long a process is left without requests before its idle RSS is read. */
export const IDLE_SETTLE_MS = 10_000;

/**
 * A scenario is one file in bench/scenarios/ exporting `scenario` (see health.ts for the
 * smallest one). The runner finds every file there, so a new scenario (login with 2FA, a mixed
 * workload, audit listing at depth, ...) is one more file: start what it needs through the
 * context, measure, and return rows (one per measured thing, each naming the row it is compared
 * with) and the targets it checks.
 */
export interface Scenario {
  name: string;
  /** Position when every scenario runs (lower first). */
  order: number;
  /** One line for --list and the README. */
  description: string;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

export interface Row {
  label: string;
  rps: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Peak RSS of the process under test during this phase. */
  peakRssMb: number | null;
  /** RSS after start, before any load (where measured). */
  idleRssMb?: number | null;
  /** CPU cores the process under test used during the phase. */
  cpuCores?: number | null;
  /** CPU cores the rest of the machine used meanwhile (a shared machine's noise). */
  otherCores?: number | null;
  /** Label of the row this one is compared with (requests/s ratio). */
  baseline?: string;
  /** Filled in by the report: rps ÷ baseline rps. */
  ratio?: number | null;
  non2xx?: number;
  errors?: number;
  note?: string;
  measurement?: Measurement;
  extra?: Record<string, unknown>;
}

export interface TargetCheck {
  name: string;
  actual: number | null;
  comparison: '>=' | '<' | '<=';
  limit: number;
  unit: string;
  /** Which issue sets it. */
  source: string;
  /** null when the figure could not be measured. */
  pass: boolean | null;
}

export interface ScenarioOutcome {
  /** `unavailable`: what the scenario measures is not there yet (e.g. a route answering 404). */
  status: 'ok' | 'unavailable';
  rows: Row[];
  targets: TargetCheck[];
  notes: string[];
  /** The data set measured on (e.g. "1000000-users" with --seeded): part of the result file's name. */
  dataset?: string;
}

export function rowOf(m: Measurement, extra: Partial<Row> = {}): Row {
  return {
    label: m.label,
    rps: m.rps,
    p50Ms: Number.isFinite(m.p50Ms) ? m.p50Ms : null,
    p99Ms: Number.isFinite(m.p99Ms) ? m.p99Ms : null,
    peakRssMb: m.peakRssMb,
    cpuCores: m.cpuCores,
    otherCores: m.otherCores,
    non2xx: m.non2xx,
    errors: m.errors + m.timeouts,
    measurement: m,
    ...extra,
  };
}

export function check(
  name: string,
  actual: number | null | undefined,
  comparison: '>=' | '<' | '<=',
  limit: number,
  unit: string,
  source: string,
): TargetCheck {
  const value = actual === undefined || actual === null || !Number.isFinite(actual) ? null : actual;
  const pass = value === null ? null : comparison === '>=' ? value >= limit : comparison === '<=' ? value <= limit : value < limit;
  return { name, actual: value, comparison, limit, unit, source, pass };
}

/** Load-phase outcome problems worth a note (errors and unexpected statuses make figures suspect). */
export function problemsOf(m: Measurement): string[] {
  const out: string[] = [];
  if (m.non2xx > 0) out.push(`${m.label}: ${m.non2xx} non-2xx responses (${JSON.stringify(m.statusCodes)})`);
  if (m.errors + m.timeouts > 0) out.push(`${m.label}: ${m.errors} errors, ${m.timeouts} timeouts`);
  return out;
}

/**
 * A mixed load's latency by kind of request. Its overall p99 is the slowest 1 %: with 2 %
 * writes, that is about the writes' median, so the kinds say what the p99 is made of.
 */
export function kindsOf(m: Measurement): string[] {
  // Called for loads whose requests all name a kind: none recorded means autocannon's client
  // no longer exposes the request a response answers (an internal, see lib/load.ts).
  if (!m.byKind) return [`${m.label}: no latency by kind was recorded`];
  const parts = Object.entries(m.byKind).map(
    ([kind, k]) => `${kind} ${k.requests} responses, p50 ${k.p50Ms.toFixed(2)} / p99 ${k.p99Ms.toFixed(2)} ms`,
  );
  return [`${m.label}, by kind: ${parts.join('; ')}`];
}

export interface AppOptions {
  /** BCRYPT_ROUNDS of this app (setting up users is fine at 4; login scenarios use --bcrypt-rounds). */
  bcryptRounds: number;
  env?: Record<string, string>;
  /** Label for the database and the profile file. */
  label: string;
  /** On a seeded database (--seeded, --seeded-small) instead of a fresh one (IP_ENCRYPTION_KEY = the seed's). */
  seeded?: SeededSource;
}

export interface BcryptLimit {
  cores: number;
  cost: number;
  singleHashMs: number;
  theoreticalPerSecond: number;
  hashesPerSecond: number;
  hashes: number;
  seconds: number;
  cpuSeconds: number;
  /** Cores the rest of the machine used while the limit was measured. */
  otherCores: number | null;
}

const execFileAsync = promisify(execFile);
const secret = (): string => randomBytes(30).toString('base64url').slice(0, 40);

/** What a scenario can start and measure; everything it starts is stopped when it ends. */
export class ScenarioContext {
  private readonly stops: Array<() => Promise<void>> = [];

  private readonly benchDist: string;

  constructor(
    readonly options: BenchOptions,
    /** The copy of the build this run uses (holds dist/ and package.json). */
    private readonly build: string,
    /** The repository's node_modules (NODE_PATH of every child). */
    private readonly nodeModules: string,
    /** The JSON GET /api/health answers; the baselines answer the same. */
    readonly healthBody: string,
  ) {
    this.benchDist = join(build, 'dist', 'bench');
  }

  log(message: string): void {
    console.log(`  · ${message}`);
  }

  /** The built app (node dist/src/main.js) on a fresh database, with the benchmark profile. */
  async startApp(app: AppOptions): Promise<ServerProcess> {
    let db: { env: Record<string, string> };
    if (app.seeded) {
      db = { env: { ...seededEnv(app.seeded.url, app.seeded.schema), IP_ENCRYPTION_KEY: app.seeded.ipKey } };
    } else {
      const fresh = await freshDatabase(this.options.db, this.options.databaseUrl, app.label);
      this.stops.push(() => fresh.dispose());
      db = fresh;
    }
    const scratch = mkdtempSync(join(tmpdir(), `nullpass-bench-files-`));
    const removeScratch = async (): Promise<void> => rmSync(scratch, { recursive: true, force: true });
    onCleanup(removeScratch);
    this.stops.push(removeScratch);
    const server = await startServer({
      name: `app-${app.label}`,
      entry: join(this.build, 'dist', 'src', 'main.js'),
      cwd: this.build,
      cpuProfDir: this.options.cpuProfDir,
      nodeFlags: startScriptNodeFlags(this.build),
      env: {
        NODE_PATH: this.nodeModules,
        // NODE_ENV=production refuses RATE_LIMIT_DISABLED; "benchmark" is production-like otherwise.
        NODE_ENV: 'benchmark',
        RATE_LIMIT_DISABLED: 'true',
        REQUEST_LOGGING: 'false',
        LOG_LEVEL: 'warn',
        JWT_SECRET: secret(),
        IP_ENCRYPTION_KEY: secret(),
        BCRYPT_ROUNDS: String(app.bcryptRounds),
        SHUTDOWN_GRACE_MS: '2000',
        AVATAR_DIR: join(scratch, 'avatars'),
        ...db.env,
        ...app.env,
      },
    });
    this.stops.push(() => server.stop());
    return server;
  }

  private readonly seededOpen = new Map<SeededSource, SeededDatabase>();

  /** A seeded database (--seeded, --seeded-small), opened once for the setup's reads. */
  async seededDb(source: SeededSource): Promise<SeededDatabase> {
    let db = this.seededOpen.get(source);
    if (!db) {
      db = await openSeeded(source.url, source.schema);
      this.seededOpen.set(source, db);
      this.stops.push(() => this.closeSeededDb(source));
    }
    return db;
  }

  /**
   * Done with the setup reads: before the app starts on a seeded SQLite file, which the app
   * then holds (SQLITE_LOCKING=exclusive; an open connection would keep it from starting).
   */
  async closeSeededDb(source: SeededSource): Promise<void> {
    const db = this.seededOpen.get(source);
    if (!db) return;
    this.seededOpen.delete(source);
    await db.close();
  }

  /** A baseline server from dist/bench/baselines (bare-http, minimal-nest), with extra settings in `env`. */
  async startBaseline(name: 'bare-http' | 'minimal-nest', env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServer({
      name,
      entry: join(this.benchDist, 'baselines', `${name}.js`),
      cwd: this.build,
      cpuProfDir: this.options.cpuProfDir,
      env: { NODE_PATH: this.nodeModules, NODE_ENV: 'benchmark', BENCH_HEALTH_BODY: this.healthBody, ...env },
    });
    this.stops.push(() => server.stop());
    return server;
  }

  /**
   * RSS of a started process after it has been left alone (by default IDLE_SETTLE_MS: V8's
   * memory reducer first runs 8 s after the last activity and gives back what start-up used).
   */
  async idleRssMb(server: ServerProcess, settleMs = IDLE_SETTLE_MS): Promise<number | null> {
    await sleep(settleMs);
    return sampleProcess(server.pid).rssMb;
  }

  measure(target: ServerProcess, spec: Omit<LoadSpec, 'duration' | 'warmup'> & Partial<LoadSpec>): Promise<Measurement> {
    return measure(target, { duration: this.options.duration, warmup: this.options.warmup, ...spec });
  }

  measureFlow(target: ServerProcess, spec: Omit<FlowSpec, 'duration' | 'warmup'> & Partial<FlowSpec>): Promise<Measurement> {
    return measureFlow(target, { duration: this.options.duration, warmup: this.options.warmup, ...spec });
  }

  /**
   * Loads measured in interleaved slices (`--rounds`, lib/load.ts measureInterleaved), each on
   * its own target: how a scenario compares a load with its baseline. `--rounds 1` measures
   * them one after another as whole phases.
   */
  measureInterleaved(loads: Array<{ target: ServerProcess; spec: Omit<LoadSpec, 'duration' | 'warmup'> & Partial<LoadSpec> }>): Promise<Measurement[]> {
    return measureInterleaved(
      loads.map(({ target, spec }) => ({ target, spec: { duration: this.options.duration, warmup: this.options.warmup, ...spec } })),
      this.options.rounds,
    );
  }

  /** Flows (measureFlow) on several targets, interleaved in `--rounds` slices (lib/load.ts measureFlowInterleaved). */
  measureFlowInterleaved(loads: Array<{ target: ServerProcess; spec: Omit<FlowSpec, 'duration' | 'warmup'> & Partial<FlowSpec> }>): Promise<Measurement[]> {
    return measureFlowInterleaved(
      loads.map(({ target, spec }) => ({ target, spec: { duration: this.options.duration, warmup: this.options.warmup, ...spec } })),
      this.options.rounds,
    );
  }

  measureTogether(target: ServerProcess, specs: Array<Omit<LoadSpec, 'duration' | 'warmup'> & Partial<LoadSpec>>): Promise<Measurement[]> {
    return measureTogether(
      target,
      specs.map((s) => ({ duration: this.options.duration, warmup: this.options.warmup, ...s })),
    );
  }

  /** The machine's bcrypt limit at `cost`, measured in a process of its own (bench/baselines/bcrypt-limit.ts). */
  async bcryptLimit(cost: number): Promise<BcryptLimit> {
    const machineBefore = machineBusySeconds();
    const runnerBefore = runnerCpuSeconds();
    const t0 = process.hrtime.bigint();
    const { stdout } = await execFileAsync(process.execPath, [join(this.benchDist, 'baselines', 'bcrypt-limit.js'), String(cost), '4'], {
      timeout: 120_000,
      cwd: this.build,
      // The limit of the machine, not of libuv's default pool of 4 threads.
      env: { PATH: process.env.PATH ?? '', NODE_PATH: this.nodeModules, UV_THREADPOOL_SIZE: String(Math.max(4, availableParallelism())) },
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const machineAfter = machineBusySeconds();
    const limit = JSON.parse(stdout.trim()) as Omit<BcryptLimit, 'otherCores'>;
    const otherCores =
      machineBefore !== null && machineAfter !== null
        ? Math.max(0, (machineAfter - machineBefore - limit.cpuSeconds - (runnerCpuSeconds() - runnerBefore)) / seconds)
        : null;
    return { ...limit, otherCores };
  }

  /** Stops what this scenario started, newest first (the runner calls it, error or not). */
  async close(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      await stop().catch((e: unknown) => console.error('  stop failed:', e instanceof Error ? e.message : e));
    }
  }
}
