import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Everything started by the benchmark, killed on the way out whatever happens. */
const live = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];
let exitHooksInstalled = false;

/** Registers async cleanup (dropping a schema, removing a temp dir) for normal and abnormal ends. */
export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export async function runCleanups(): Promise<void> {
  for (const child of [...live]) killNow(child);
  // Bounded: each cleanup gets 10 s at most.
  for (const fn of cleanups.splice(0).reverse()) {
    await Promise.race([fn().catch((e: unknown) => console.error('cleanup failed:', e)), sleep(10_000)]);
  }
}

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.delete(child);
}

export function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // Last resort, synchronous: no child outlives the runner.
  process.on('exit', () => {
    for (const child of live) killNow(child);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface ProcSample {
  rssMb: number | null;
  hwmMb: number | null;
  /** CPU seconds (user + system) used so far. */
  cpuSeconds: number | null;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { timeout: 2000, encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Reads /proc/<pid>/status and /proc/<pid>/stat (Linux); nulls elsewhere. */
export function sampleProcess(pid: number): ProcSample {
  const out: ProcSample = { rssMb: null, hwmMb: null, cpuSeconds: null };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number | null => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) / 1024 : null;
    };
    out.rssMb = kb('VmRSS');
    out.hwmMb = kb('VmHWM');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    /* not Linux, or the process is gone */
  }
  return out;
}

/** Busy CPU seconds of the whole machine so far (/proc/stat), or null. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [, ...values] = line.trim().split(/\s+/);
    const n = values.map(Number);
    // user nice system idle iowait irq softirq steal (guest is already in user)
    const busy = n[0] + n[1] + n[2] + n[5] + n[6] + n[7];
    return busy / ticksPerSecond();
  } catch {
    return null;
  }
}

export const runnerCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export interface PhaseStats {
  peakRssMb: number | null;
  hwmMb: number | null;
  /** Cores the process under test used on average. */
  cpuCores: number | null;
  /** Cores everything else on the machine used meanwhile (not the target, not this runner and its load generator). */
  otherCores: number | null;
  /** Cores this runner (autocannon) used. */
  loadGeneratorCores: number;
}

/**
 * Polls VmRSS while a phase runs: the peak of the phase, the CPU the process used, and how
 * busy the rest of the machine was (on a shared machine that explains a bad run).
 */
export class ProcessMonitor {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly startCpu: number | null;
  private readonly startMachine = machineBusySeconds();
  private readonly startRunner = runnerCpuSeconds();
  private readonly startedAt = process.hrtime.bigint();

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    const first = sampleProcess(pid);
    this.startCpu = first.cpuSeconds;
    this.peak = first.rssMb ?? 0;
    this.timer = setInterval(() => {
      const rss = sampleProcess(this.pid).rssMb;
      if (rss !== null && rss > this.peak) this.peak = rss;
    }, intervalMs);
  }

  stop(): PhaseStats {
    clearInterval(this.timer);
    const last = sampleProcess(this.pid);
    const machine = machineBusySeconds();
    const runner = runnerCpuSeconds() - this.startRunner;
    if (last.rssMb !== null && last.rssMb > this.peak) this.peak = last.rssMb;
    const seconds = Math.max(1e-3, Number(process.hrtime.bigint() - this.startedAt) / 1e9);
    const target = last.cpuSeconds !== null && this.startCpu !== null ? last.cpuSeconds - this.startCpu : null;
    const other =
      machine !== null && this.startMachine !== null && target !== null
        ? Math.max(0, (machine - this.startMachine - target - runner) / seconds)
        : null;
    return {
      peakRssMb: this.peak || null,
      hwmMb: last.hwmMb,
      cpuCores: target === null ? null : target / seconds,
      otherCores: other,
      loadGeneratorCores: runner / seconds,
    };
  }
}

export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  /** Last lines the process wrote (for error messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** The compiled entry file (dist/...). */
  entry: string;
  env: Record<string, string>;
  /** Working directory (the run's copy of the build: no stray .env is read). */
  cwd: string;
  /** Run under node --cpu-prof, profiles in this directory. */
  cpuProfDir?: string;
  /** Node options before the entry file (the app gets those of `npm start`). */
  nodeFlags?: string[];
  /** Path polled until it answers 200 (default /api/health). */
  readyPath?: string;
  readyTimeoutMs?: number;
}


export async function startServer(options: StartOptions): Promise<ServerProcess> {
  installExitHooks();
  const port = await freePort();
  // dist/bench/lib/child-preload.js: exits when the runner is gone; SIGUSR2 = clean exit (profiles get written).
  const execArgv = [...(options.nodeFlags ?? []), '-r', join(options.cwd, 'dist', 'bench', 'lib', 'child-preload.js')];
  if (options.cpuProfDir) {
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${options.name}-${Date.now()}.cpuprofile`);
  }
  const child = spawn(process.execPath, [...execArgv, options.entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env, HOST: '127.0.0.1', PORT: String(port) },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => live.delete(child));

  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGUSR2 makes the preload exit cleanly (so --cpu-prof writes its file); SIGTERM otherwise.
    child.kill(options.cpuProfDir ? 'SIGUSR2' : 'SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    killNow(child);
    await Promise.race([exited, sleep(2_000)]);
  };

  const readyPath = options.readyPath ?? '/api/health';
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (let attempt = 0; attempt < 1200 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before it was ready (code ${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    try {
      const res = await fetch(baseUrl + readyPath, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        return { name: options.name, pid: child.pid!, port, baseUrl, output: () => tail, stop };
      }
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`${options.name} did not answer ${readyPath} within ${options.readyTimeoutMs ?? 60_000} ms:\n${tail}`);
}

/** How many cores the rest of the machine is using, measured over `ms`. */
export async function otherLoad(ms = 2000): Promise<number | null> {
  const m0 = machineBusySeconds();
  const r0 = runnerCpuSeconds();
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const m1 = machineBusySeconds();
  if (m0 === null || m1 === null) return null;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return Math.max(0, (m1 - m0 - (runnerCpuSeconds() - r0)) / seconds);
}

/** Waits (at most `maxSeconds`) until other processes use less than `threshold` cores. */
export async function waitForQuiet(maxSeconds: number, threshold = 0.3): Promise<{ waitedS: number; otherCores: number | null }> {
  const start = Date.now();
  let other = await otherLoad();
  for (let i = 0; i < 1000 && other !== null && other >= threshold && Date.now() - start < maxSeconds * 1000; i++) {
    other = await otherLoad();
  }
  return { waitedS: Math.round((Date.now() - start) / 1000), otherCores: other };
}

/**
 * The node options `npm start` gives the app (package.json's start script: the flags between
 * `node` and the entry file), so the benchmark measures the process users run.
 */
export function startScriptNodeFlags(packageDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json's start script does not run node: ${pkg.scripts?.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}
