/**
 * Loaded with `node -r` into every process the benchmark starts (the app and the baselines).
 * - If the runner disappears (killed hard), the child exits too instead of lingering.
 * - SIGUSR2 exits cleanly through process.exit(), so `--cpu-prof` writes its profile
 *   (NestJS re-raises SIGTERM after its shutdown hooks, and a signal death writes none).
 * It adds one unref'd 1 s timer and nothing to the request path.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
process.on('SIGUSR2', () => process.exit(0));

export {};
