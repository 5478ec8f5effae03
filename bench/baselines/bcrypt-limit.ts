/**
 * The machine's bcrypt limit, measured in a process of its own while nothing else of the
 * benchmark runs: os.availableParallelism() hashes at a time, batch after batch, at the given
 * cost. Prints one JSON line: {cores, cost, singleHashMs, hashesPerSecond, ...}.
 * The limit is what a perfect login endpoint could reach: cores ÷ time of one hash.
 *
 * Usage: node dist/bench/baselines/bcrypt-limit.js <cost> [minSeconds]
 */
import * as bcrypt from 'bcrypt';
import { availableParallelism } from 'node:os';

async function main(): Promise<void> {
  const cost = Number(process.argv[2] ?? '12');
  const minSeconds = Number(process.argv[3] ?? '4');
  if (!Number.isInteger(cost) || cost < 4 || cost > 15) throw new Error('cost must be 4..15');
  const cores = availableParallelism();
  // What the app hashes: a SHA-256 digest in base64 (44 characters).
  const input = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrgOIk3CzJ0Q1pP2E=';

  // One hash at a time: the cost of one hash on an otherwise idle machine.
  await bcrypt.hash(input, cost); // warm-up
  const single: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    await bcrypt.hash(input, cost);
    single.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  single.sort((a, b) => a - b);
  const singleHashMs = single[1];

  // `cores` at a time, for at least minSeconds (and at most 200 batches).
  let hashes = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  for (let batch = 0; batch < 200 && elapsed < minSeconds; batch++) {
    await Promise.all(Array.from({ length: cores }, () => bcrypt.hash(input, cost)));
    hashes += cores;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  const measured = hashes / elapsed;
  const usage = process.cpuUsage();
  process.stdout.write(
    JSON.stringify({
      cores,
      cost,
      singleHashMs,
      /** cores ÷ time of one hash (the definition). */
      theoreticalPerSecond: (cores * 1000) / singleHashMs,
      /** What `cores` concurrent hashes actually achieved on this machine. */
      hashesPerSecond: measured,
      hashes,
      seconds: elapsed,
      /** CPU seconds this process used in all (so the runner can tell how busy the rest of the machine was). */
      cpuSeconds: (usage.user + usage.system) / 1e6,
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
