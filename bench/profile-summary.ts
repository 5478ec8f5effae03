/**
 * Where the time went in a `node --cpu-prof` profile (e.g. from `npm run bench -- --cpu-prof`):
 * the top functions by self time, the top by inclusive time, and the time per package/file.
 *
 * Usage: node dist/bench/profile-summary.js <file.cpuprofile> [--top N] [--from <ms>] [--to <ms>] [--callers <name> [--depth N]]
 *   --from skips the first <ms> of the profile (start-up), so the load phase dominates;
 *   --to ignores what follows <ms> (one phase of a multi-phase scenario).
 *   --callers prints the heaviest stacks (5 frames up) under functions whose name contains <name>
 *   (--depth frames up, default 6).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  if (url.startsWith('node:')) return url;
  return url;
}

const keyOf = (f: CallFrame): string => `${f.functionName || '(anonymous)'}  ${where(f)}:${f.lineNumber + 1}`;

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, callers: { type: 'string' }, depth: { type: 'string' } },
  });
  if (positionals.length !== 1) {
    console.error('Usage: node dist/bench/profile-summary.js <file.cpuprofile> [--top N] [--from <ms>] [--to <ms>] [--callers <name> [--depth N]]');
    process.exit(2);
  }
  const top = Number(values.top ?? 25);
  const fromUs = Number(values.from ?? 0) * 1000;
  const toUs = values.to === undefined ? Infinity : Number(values.to) * 1000;
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Time of each sample: the delta to the next one.
  const selfUs = new Map<number, number>();
  let t = 0;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs || dt <= 0) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
    total += dt;
  }

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const stacks = new Map<string, number>();
  const callers = values.callers;
  const depth = Number(values.depth ?? 6);
  const perPlace = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const frame = node.callFrame;
    self.set(keyOf(frame), (self.get(keyOf(frame)) ?? 0) + us);
    perPlace.set(where(frame), (perPlace.get(where(frame)) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    let stackKey: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frameOf = byId.get(cur)!.callFrame;
      const k = keyOf(frameOf);
      if (callers && stackKey === undefined && frameOf.functionName.includes(callers)) {
        const chain: string[] = [];
        for (let up: number | undefined = cur; up !== undefined && chain.length < depth; up = parent.get(up)) chain.push(keyOf(byId.get(up)!.callFrame));
        stackKey = chain.join('\n           <- ');
      }
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
    if (stackKey) stacks.set(stackKey, (stacks.get(stackKey) ?? 0) + us);
  }
  const print = (title: string, map: Map<string, number>): void => {
    console.log(`\n${title}`);
    for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
    }
  };
  console.log(`${positionals[0]}: ${(total / 1e6).toFixed(2)} s of samples${fromUs ? ` after the first ${fromUs / 1000} ms` : ''}${toUs < Infinity ? ` up to ${toUs / 1000} ms` : ''}`);
  print('Self time by package/file', perPlace);
  print('Self time by function', self);
  print('Inclusive time by function', inclusive);
  if (callers) print(`Stacks under "${callers}" (inclusive)`, stacks);
}

main();
