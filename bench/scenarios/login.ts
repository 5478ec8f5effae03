import { BENCH_PASSWORD, call, jsonHeaders, registerUsers } from '../lib/api';
import { check, problemsOf, rowOf, type Scenario, type ScenarioOutcome } from '../lib/scenario';

const LIMIT = 'bcrypt limit (machine)';
const LOGIN = 'POST /api/auth/login';

/**
 * Login throughput against the machine's bcrypt limit, both at --bcrypt-rounds (default 12).
 * The limit is measured first, in a process of its own with nothing else running:
 * os.availableParallelism() hashes at a time (bench/baselines/bcrypt-limit.ts). Then one user
 * (2FA off) logs in over and over with the right password from --login-connections connections;
 * RATE_LIMIT_DISABLED lifts the per-IP request limits and the failed-login limits never apply.
 */
export const scenario: Scenario = {
  name: 'login',
  order: 40,
  description: 'POST /api/auth/login throughput vs the machine\'s bcrypt limit (cores ÷ time of one hash)',
  async run(ctx): Promise<ScenarioOutcome> {
    const rounds = ctx.options.bcryptRounds;
    const connections = ctx.options.loginConnections;
    ctx.log(`bcrypt limit at cost ${rounds}`);
    const before = await ctx.bcryptLimit(rounds);

    const app = await ctx.startApp({ label: 'login', bcryptRounds: rounds });
    const [user] = await registerUsers(app, 1, 1);
    const body = JSON.stringify({ email: user.email, password: BENCH_PASSWORD });
    const probe = await call<{ token?: string }>(app, 'POST', '/api/auth/login', { json: JSON.parse(body) });
    if (probe.status !== 200 || typeof probe.body.token !== 'string') throw new Error(`login answered ${probe.status}: ${probe.text}`);

    ctx.log(`${LOGIN} at ${connections} connections`);
    const login = await ctx.measure(app, { label: LOGIN, method: 'POST', path: '/api/auth/login', connections, headers: jsonHeaders, body });
    await app.stop();
    // Measured again after the logins (app stopped): on a shared machine the background load drifts,
    // so the limit is the mean of the two, and both are recorded.
    ctx.log(`bcrypt limit at cost ${rounds}, again`);
    const after = await ctx.bcryptLimit(rounds);
    const limit = {
      ...before,
      singleHashMs: (before.singleHashMs + after.singleHashMs) / 2,
      theoreticalPerSecond: (before.theoreticalPerSecond + after.theoreticalPerSecond) / 2,
      hashesPerSecond: (before.hashesPerSecond + after.hashesPerSecond) / 2,
      hashes: before.hashes + after.hashes,
      seconds: before.seconds + after.seconds,
      otherCores: before.otherCores !== null && after.otherCores !== null ? (before.otherCores + after.otherCores) / 2 : null,
    };
    const ratio = (login.rps / limit.hashesPerSecond) * 100;
    return {
      status: 'ok',
      rows: [
        {
          label: LIMIT,
          rps: limit.hashesPerSecond,
          p50Ms: limit.singleHashMs,
          p99Ms: null,
          peakRssMb: null,
          cpuCores: null,
          otherCores: limit.otherCores,
          note: `p50 = one hash alone; ${limit.cores} hashes at a time`,
          extra: { before, after },
        },
        rowOf(login, { baseline: LIMIT }),
      ],
      notes: [
        `bcrypt at cost ${rounds}: one hash takes ${limit.singleHashMs.toFixed(0)} ms alone; ${limit.cores} at a time give ` +
          `${limit.hashesPerSecond.toFixed(2)} hashes/s (${before.hashesPerSecond.toFixed(2)} before the logins, ` +
          `${after.hashesPerSecond.toFixed(2)} after; cores ÷ one hash = ${limit.theoreticalPerSecond.toFixed(2)})`,
        ...problemsOf(login),
      ],
      targets: [
        check(`${LOGIN} req/s vs bcrypt limit`, ratio, '>=', 80, '%', 'issue 3'),
        check(`${LOGIN} req/s vs bcrypt limit`, ratio, '>=', 90, '%', 'issue 8'),
        check('peak RSS', login.peakRssMb, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};
