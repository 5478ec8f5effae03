import { call, registerUsers } from '../lib/api';
import { check, problemsOf, rowOf, type Scenario, type ScenarioOutcome } from '../lib/scenario';
import { CHECK, checkLoad, HEALTH, healthLoad } from '../lib/validation-loads';

const PATH = '/api/connect/check?service=DROP';

/**
 * GET /api/connect/check?service=DROP with a valid token (the question a sibling product asks
 * about its user), against the same app's /api/health. The users have no entitlement, so the
 * answer is the "No entitlement found" shape (200). If the route is not there (404), the
 * scenario says so instead of measuring 404s.
 */
export const scenario: Scenario = {
  name: 'connect-check',
  order: 30,
  description: 'GET /api/connect/check?service=DROP with a valid token vs the app\'s own /api/health',
  async run(ctx): Promise<ScenarioOutcome> {
    const { connections, users: userCount } = ctx.options;
    const app = await ctx.startApp({ label: 'connect-check', bcryptRounds: 4 });
    ctx.log(`registering ${userCount} users`);
    const users = await registerUsers(app, userCount);
    const probe = await call(app, 'GET', PATH, { token: users[0].token });
    if (probe.status !== 200) {
      const why =
        probe.status === 404
          ? `${PATH} answered 404 ${probe.text}: the route is not in this build yet, nothing measured`
          : `${PATH} answered ${probe.status} ${probe.text.slice(0, 200)}: nothing measured`;
      ctx.log(why);
      return { status: 'unavailable', rows: [], targets: [], notes: [why] };
    }

    ctx.log(`/api/health (baseline) and ${CHECK}, interleaved in ${ctx.options.rounds} rounds`);
    const [health, connect] = await ctx.measureInterleaved([
      { target: app, spec: healthLoad(connections) },
      { target: app, spec: checkLoad(connections, (i) => users[i % users.length].token) },
    ]);
    const ratio = (connect.rps / health.rps) * 100;
    return {
      status: 'ok',
      rows: [rowOf(health), rowOf(connect, { baseline: HEALTH })],
      notes: [`the answer measured: ${probe.text.slice(0, 200)}`, ...[health, connect].flatMap(problemsOf)],
      targets: [
        check(`${CHECK} req/s vs /api/health`, ratio, '>=', 60, '%', 'issue 8'),
        check(`${CHECK} p99 at ${connections} connections`, connect.p99Ms, '<', 15, 'ms', 'issue 8'),
        check('peak RSS', Math.max(health.peakRssMb ?? 0, connect.peakRssMb ?? 0) || null, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};
