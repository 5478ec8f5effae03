import { BENCH_PASSWORD, call, enableTwoFactor, loginStep, registerUsers, totpCode, type BenchUser } from '../lib/api';
import type { ServerProcess } from '../lib/processes';
import { check, problemsOf, rowOf, type Scenario, type ScenarioOutcome } from '../lib/scenario';

const LIMIT = 'bcrypt limit (machine)';
const LOGIN = 'POST /api/auth/login';
const LOGIN_2FA = 'login with 2FA (login + login/2fa)';
const TOTP_STEP_MS = 30_000;

/**
 * Login throughput against the machine's bcrypt limit, both at --bcrypt-rounds (default 12).
 * The limit is measured first, in a process of its own with nothing else running:
 * os.availableParallelism() hashes at a time (bench/baselines/bcrypt-limit.ts). Then users
 * (2FA off), one per --login-connections connection, log in over and over with the right
 * password; RATE_LIMIT_DISABLED lifts the per-IP request limits. (One account from many
 * connections at once is what the failed-login limit exists to slow down: at most 5 attempts
 * of one email and IP are in flight, the rest are answered 429 until one finishes.)
 * Then login with 2FA, whole flows (POST /login for the pending token, POST /login/2fa with the
 * current TOTP code): a TOTP code is good once (replays are refused), so each flow takes a user
 * who has not logged in during the current 30 s step, from a pool of 2FA users set up through
 * the API and sized from the bcrypt limit. One bcrypt hash per flow, so its limit is the same.
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
    const loginUsers = await registerUsers(app, connections);
    const probe = await call<{ token?: string }>(app, 'POST', '/api/auth/login', { json: { email: loginUsers[0].email, password: BENCH_PASSWORD } });
    if (probe.status !== 200 || typeof probe.body.token !== 'string') throw new Error(`login answered ${probe.status}: ${probe.text}`);

    ctx.log(`${LOGIN} at ${connections} connections`);
    // Measured as flows (each worker a user of its own, back to back), like the 2FA logins and
    // like the limit: every login started is counted, the last ones included. An autocannon run
    // stops at its deadline with a login in flight on each connection (~0.9 s each at cost 12),
    // so ~half a second of the machine's bcrypt work went uncounted: ~4 % of a 10 s phase.
    const login = await ctx.measureFlow(app, {
      label: LOGIN,
      path: '/api/auth/login',
      connections,
      step: loginStep(app, loginUsers.map((u) => u.email), BENCH_PASSWORD),
    });

    const poolSize = Math.ceil(before.hashesPerSecond * (ctx.options.warmup + ctx.options.duration) * 1.3) + connections;
    ctx.log(`${poolSize} users with 2FA (set up through the API)`);
    const pool = await twoFactorPool(app, poolSize);
    // Confirming 2FA spent each user's code of the step it happened in: start on a fresh step.
    const setupStep = Math.max(...pool.users.map((u) => u.lastStep));
    const wait = (setupStep + 1) * TOTP_STEP_MS - Date.now() + 50;
    if (wait > 0) {
      ctx.log(`waiting ${(wait / 1000).toFixed(0)} s for the next TOTP step`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    ctx.log(`${LOGIN_2FA} at ${connections} connections`);
    const login2fa = await ctx.measureFlow(app, { label: LOGIN_2FA, path: '/api/auth/login', connections, step: () => twoFactorLogin(app, pool) });
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
    const ratio2fa = (login2fa.rps / limit.hashesPerSecond) * 100;
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
        rowOf(login2fa, { baseline: LIMIT }),
      ],
      notes: [
        `bcrypt at cost ${rounds}: one hash takes ${limit.singleHashMs.toFixed(0)} ms alone; ${limit.cores} at a time give ` +
          `${limit.hashesPerSecond.toFixed(2)} hashes/s (${before.hashesPerSecond.toFixed(2)} before the logins, ` +
          `${after.hashesPerSecond.toFixed(2)} after; cores ÷ one hash = ${limit.theoreticalPerSecond.toFixed(2)})`,
        ...problemsOf(login),
        ...problemsOf(login2fa),
        `${LOGIN_2FA}: ${pool.users.length} users, ${pool.waits} waits for a fresh TOTP step`,
      ],
      targets: [
        check(`${LOGIN} req/s vs bcrypt limit`, ratio, '>=', 80, '%', 'issue 3'),
        check(`${LOGIN} req/s vs bcrypt limit`, ratio, '>=', 90, '%', 'issue 8'),
        check(`${LOGIN_2FA} flows/s vs bcrypt limit`, ratio2fa, '>=', 80, '%', 'issue 3'),
        check(`${LOGIN_2FA} flows/s vs bcrypt limit`, ratio2fa, '>=', 90, '%', 'issue 8'),
        check('peak RSS', Math.max(login.peakRssMb ?? 0, login2fa.peakRssMb ?? 0) || null, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};

interface TwoFactorUser extends BenchUser {
  secret: string;
  /** The TOTP step of this user's last login (a code is good once). */
  lastStep: number;
  busy: boolean;
}

interface TwoFactorPool {
  users: TwoFactorUser[];
  next: number;
  waits: number;
}

async function twoFactorPool(app: ServerProcess, size: number): Promise<TwoFactorPool> {
  const users = await registerUsers(app, size);
  const pool: TwoFactorUser[] = [];
  for (let i = 0; i < users.length; i += 4) {
    const batch = users.slice(i, i + 4);
    const secrets = await Promise.all(batch.map((u) => enableTwoFactor(app, u)));
    batch.forEach((u, j) => pool.push({ ...u, secret: secrets[j], lastStep: Math.floor(Date.now() / TOTP_STEP_MS), busy: false }));
  }
  return { users: pool, next: 0, waits: 0 };
}

/** One whole 2FA login by a user who has not used this TOTP step yet (waits for the next step if none is left). */
async function twoFactorLogin(app: ServerProcess, pool: TwoFactorPool): Promise<boolean> {
  let user: TwoFactorUser | undefined;
  while (!user) {
    const step = Math.floor(Date.now() / TOTP_STEP_MS);
    for (let k = 0; k < pool.users.length && !user; k++) {
      const candidate = pool.users[(pool.next + k) % pool.users.length];
      if (!candidate.busy && candidate.lastStep < step) {
        user = candidate;
        pool.next = (pool.next + k + 1) % pool.users.length;
      }
    }
    if (!user) {
      pool.waits++;
      await new Promise((resolve) => setTimeout(resolve, (step + 1) * TOTP_STEP_MS - Date.now() + 50));
    }
  }
  user.busy = true;
  try {
    const first = await call<{ pendingToken?: string }>(app, 'POST', '/api/auth/login', { json: { email: user.email, password: user.password } });
    if (first.status !== 200 || typeof first.body.pendingToken !== 'string') return false;
    const now = Date.now();
    user.lastStep = Math.floor(now / TOTP_STEP_MS);
    const second = await call<{ token?: string }>(app, 'POST', '/api/auth/login/2fa', {
      json: { pendingToken: first.body.pendingToken, verificationCode: totpCode(user.secret, now) },
    });
    return second.status === 200 && typeof second.body.token === 'string';
  } finally {
    user.busy = false;
  }
}
