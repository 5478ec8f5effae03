import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './options';
import type { Row, ScenarioOutcome, TargetCheck } from './scenario';

export interface Machine {
  cores: number;
  nproc: number | null;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  let nproc: number | null = null;
  try {
    nproc = Number(execFileSync('nproc', { timeout: 2000, encoding: 'utf8' }).trim()) || null;
  } catch {
    /* not available */
  }
  return {
    cores: availableParallelism(),
    nproc,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function gitCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, timeout: 5000, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** Fills in each row's ratio to its baseline row. */
export function withRatios(rows: Row[]): Row[] {
  const byLabel = new Map(rows.map((r) => [r.label, r]));
  return rows.map((r) => {
    const base = r.baseline ? byLabel.get(r.baseline) : undefined;
    const ratio = base && base.rps && r.rps !== null ? r.rps / base.rps : null;
    return { ...r, ratio };
  });
}

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);

const pad = (s: string, n: number, right = false): string => (right ? s.padStart(n) : s.padEnd(n));

export function renderTable(rows: Row[]): string {
  const header = ['', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'idle RSS MB', 'CPU', 'other CPU', 'ratio', 'baseline'];
  const lines = rows.map((r) => [
    r.label,
    fmt(r.rps, r.rps !== null && r.rps < 100 ? 2 : 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.peakRssMb, 0),
    r.idleRssMb === undefined ? '' : fmt(r.idleRssMb, 0),
    fmt(r.cpuCores, 2),
    fmt(r.otherCores, 2),
    r.ratio === null || r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(1)}%`,
    r.baseline ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]): string =>
    cells.map((c, i) => pad(c, widths[i], i > 0 && i < header.length - 1)).join('  ').trimEnd();
  return [row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n');
}

export function renderTargets(targets: TargetCheck[]): string {
  return targets
    .map((t) => {
      const mark = t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS';
      const actual = t.actual === null ? 'not measured' : `${fmt(t.actual, t.unit === '%' ? 1 : 2)} ${t.unit}`;
      return `  ${mark}  ${t.name}: ${actual} (target ${t.comparison} ${t.limit} ${t.unit}; ${t.source})`;
    })
    .join('\n');
}

export interface ResultFile {
  scenario: string;
  description: string;
  db: string;
  /** The data set (with --seeded), e.g. "1000000-users". */
  dataset?: string;
  status: ScenarioOutcome['status'] | 'error';
  date: string;
  commit: string | null;
  command: string;
  machine: Machine;
  loadAverageBefore: number[];
  /** Cores other processes used just before the start (with --quiet-wait). */
  otherCoresBefore: number | null;
  loadAverageAfter: number[];
  options: Pick<BenchOptions, 'duration' | 'warmup' | 'rounds' | 'connections' | 'loginConnections' | 'stormConnections' | 'bcryptRounds' | 'users'> & {
    seeded?: string;
    seededSchema?: string;
  };
  rows: Row[];
  targets: TargetCheck[];
  notes: string[];
  error?: string;
}

export function writeResult(dir: string, result: ResultFile): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.scenario}-${result.db}${result.dataset ? `-${result.dataset}` : ''}.json`);
  // Latency percentiles etc. rounded: the files are committed and diffed.
  const round = (_key: string, value: unknown): unknown =>
    typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
  writeFileSync(file, JSON.stringify(result, round, 2) + '\n');
  return file;
}

export const loadAverage = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);
