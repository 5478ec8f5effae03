/**
 * NullPass benchmark runner: `npm run bench -- [options]` (see bench/README.md).
 * Builds nothing itself (npm run bench builds first); runs every scenario in bench/scenarios/
 * against the built app, each with its baseline in the same run, prints a table and writes
 * bench/results/<scenario>-<db>.json.
 */
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseOptions, USAGE, type BenchOptions } from './lib/options';
import { installExitHooks, onCleanup, runCleanups, waitForQuiet } from './lib/processes';
import { gitCommit, loadAverage, machine, renderTable, renderTargets, withRatios, writeResult, type ResultFile } from './lib/report';
import { ScenarioContext, type Scenario } from './lib/scenario';

/** dist/bench → the repository root. */
const ROOT = resolve(__dirname, '..', '..');

function loadScenarios(): Scenario[] {
  const dir = join(__dirname, 'scenarios');
  const found: Scenario[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, file)) as { scenario?: Scenario };
    if (!mod.scenario || typeof mod.scenario.run !== 'function') {
      throw new Error(`bench/scenarios/${file} must export \`scenario\` (see bench/lib/scenario.ts)`);
    }
    found.push(mod.scenario);
  }
  const names = new Set<string>();
  for (const s of found) {
    if (names.has(s.name)) throw new Error(`two scenarios are named ${s.name}`);
    names.add(s.name);
  }
  return found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

function healthBody(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return JSON.stringify({ service: 'nullpass', version: pkg.version, status: 'ok' });
}

/**
 * Other work in this tree may rebuild dist/ (nest build empties it first) while a run goes on,
 * so every process of the run starts from a copy of the build made at the start (modules
 * still resolve from the repository's node_modules through NODE_PATH).
 */
function snapshotBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nullpass-bench-build-'));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  for (const part of ['src', 'migrations', 'bench']) {
    cpSync(join(ROOT, 'dist', part), join(dir, 'dist', part), { recursive: true });
  }
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  for (const needed of ['dist/src/main.js', 'dist/bench/lib/child-preload.js', 'dist/bench/baselines/minimal-nest.js']) {
    if (!existsSync(join(dir, needed))) throw new Error(`the build is incomplete (${needed} missing): run npm run build`);
  }
  return dir;
}

async function runOne(scenario: Scenario, options: BenchOptions, argv: string[], build: string): Promise<boolean> {
  const title = `${scenario.name} (${options.db})`;
  console.log(`\n== ${title}: ${scenario.description}`);
  const ctx = new ScenarioContext(options, build, join(ROOT, 'node_modules'), healthBody());
  const quiet = options.quietWait > 0 ? await waitForQuiet(options.quietWait) : null;
  if (quiet) {
    console.log(`  · other processes use ${quiet.otherCores?.toFixed(2) ?? '?'} cores (waited ${quiet.waitedS} s for quiet)`);
  }
  const before = loadAverage();
  const base: Omit<ResultFile, 'status' | 'rows' | 'targets' | 'notes' | 'loadAverageAfter'> = {
    scenario: scenario.name,
    description: scenario.description,
    db: options.db,
    date: new Date().toISOString(),
    commit: gitCommit(ROOT),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    machine: machine(),
    loadAverageBefore: before,
    otherCoresBefore: quiet?.otherCores ?? null,
    options: {
      duration: options.duration,
      warmup: options.warmup,
      rounds: options.rounds,
      connections: options.connections,
      loginConnections: options.loginConnections,
      stormConnections: options.stormConnections,
      bcryptRounds: options.bcryptRounds,
      users: options.users,
      ...(options.seeded ? { seeded: options.seeded.url.replace(/\/\/[^@/]*@/, '//'), seededSchema: options.seeded.schema } : {}),
    },
  };
  let result: ResultFile;
  try {
    const outcome = await scenario.run(ctx);
    const rows = withRatios(outcome.rows);
    result = { ...base, dataset: outcome.dataset, status: outcome.status, rows, targets: outcome.targets, notes: outcome.notes, loadAverageAfter: loadAverage() };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    result = { ...base, status: 'error', rows: [], targets: [], notes: [], error: message, loadAverageAfter: loadAverage() };
  } finally {
    await ctx.close();
  }

  console.log('');
  if (result.rows.length) console.log(renderTable(result.rows));
  if (result.targets.length) console.log(`\n${renderTargets(result.targets)}`);
  for (const note of result.notes) console.log(`  note: ${note}`);
  if (result.error) console.log(`  ERROR: ${result.error}`);
  console.log(
    `  (${result.machine.cores} cores, load average ${before.join(' ')} before / ${result.loadAverageAfter.join(' ')} after, ` +
      `${options.duration} s per phase after ${options.warmup} s warm-up; a load and its baseline in ${options.rounds} interleaved slices)`,
  );
  // A failed run, or a scenario that measured nothing here (scale without --seeded), keeps the last result file.
  if (options.write && result.status === 'ok') console.log(`  → ${writeResult(options.resultsDir, result)}`);
  return result.status !== 'error';
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options: BenchOptions;
  try {
    options = parseOptions(argv, join(ROOT, 'bench', 'results'));
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const all = loadScenarios();
  if (options.list) {
    for (const s of all) console.log(`${s.name.padEnd(16)} ${s.description}`);
    return 0;
  }
  const unknown = options.scenarios.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`Unknown scenario ${unknown.join(', ')}. Known: ${all.map((s) => s.name).join(', ')}`);
    return 2;
  }
  if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
    console.error('dist/src/main.js is missing: run `npm run build` (npm run bench does).');
    return 2;
  }
  installExitHooks();
  const build = snapshotBuild();
  const selected = options.scenarios.length ? all.filter((s) => options.scenarios.includes(s.name)) : all;
  let ok = true;
  try {
    for (const scenario of selected) ok = (await runOne(scenario, options, argv, build)) && ok;
  } finally {
    await runCleanups();
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error);
    await runCleanups();
    process.exit(1);
  },
);
