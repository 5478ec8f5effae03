import { BENCH_PASSWORD, bearerHeaders, call, jsonHeaders, registerUsers } from '../lib/api';
import { check, problemsOf, rowOf, type Scenario, type ScenarioOutcome } from '../lib/scenario';

const ALONE = 'GET /api/auth/me alone';
const STORMED = 'GET /api/auth/me during storm';
const LOGINS = 'POST /api/auth/login (storm)';

/**
 * Validation latency while logins saturate the CPU: two autocannon instances at once against
 * one app, logins from --login-connections connections (bcrypt at --bcrypt-rounds keeps every
 * core busy) and GET /api/auth/me from --storm-connections connections. The baseline is the
 * same /me load with no logins, in the same run.
 */
export const scenario: Scenario = {
  name: 'login-storm',
  order: 50,
  description: 'GET /api/auth/me latency while logins saturate the CPU (two loads at once)',
  async run(ctx): Promise<ScenarioOutcome> {
    const { bcryptRounds, loginConnections, stormConnections, users: userCount } = ctx.options;
    const app = await ctx.startApp({ label: 'login-storm', bcryptRounds });
    ctx.log(`registering ${userCount} users at cost ${bcryptRounds}`);
    const users = await registerUsers(app, userCount);
    // Each login connection signs in as a user of its own: the login limiter lets at most 5
    // attempts of one email and IP run at once, and a storm of one account was mostly its 429s.
    const loginBody = (i: number) => JSON.stringify({ email: users[i % users.length].email, password: BENCH_PASSWORD });
    const probe = await call(app, 'POST', '/api/auth/login', { json: JSON.parse(loginBody(0)) });
    if (probe.status !== 200) throw new Error(`login answered ${probe.status}: ${probe.text}`);

    const me = {
      path: '/api/auth/me',
      connections: stormConnections,
      perConnection: (i: number) => ({ headers: bearerHeaders(users[i % users.length].token) }),
    };
    ctx.log(`${ALONE} at ${stormConnections} connections`);
    const alone = await ctx.measure(app, { ...me, label: ALONE });
    ctx.log(`${STORMED}: ${stormConnections} connections of /me and ${loginConnections} of logins at once`);
    const [stormed, logins] = await ctx.measureTogether(app, [
      { ...me, label: STORMED },
      {
        label: LOGINS,
        method: 'POST',
        path: '/api/auth/login',
        connections: loginConnections,
        perConnection: (i: number) => ({ headers: jsonHeaders, body: loginBody(i) }),
      },
    ]);
    return {
      status: 'ok',
      rows: [rowOf(alone), rowOf(stormed, { baseline: ALONE }), rowOf(logins)],
      notes: [
        `CPU of the app process: ${alone.cpuCores?.toFixed(2) ?? '?'} cores with /me alone, ${stormed.cpuCores?.toFixed(2) ?? '?'} during the storm`,
        ...[alone, stormed, logins].flatMap(problemsOf),
      ],
      targets: [
        check(`${STORMED} p99 (${stormConnections} connections)`, stormed.p99Ms, '<', 100, 'ms', 'issue 3'),
        check('peak RSS', Math.max(alone.peakRssMb ?? 0, stormed.peakRssMb ?? 0) || null, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};
