import { call, registerUsers } from '../lib/api';
import { check, problemsOf, rowOf, type Scenario, type ScenarioOutcome } from '../lib/scenario';
import { HEALTH, healthLoad, ME, meLoad, VERIFY, verifyLoad } from '../lib/validation-loads';

/**
 * Token validation, what sibling products do on every request: GET /api/auth/me with a bearer
 * token and POST /api/auth/verify with the token in the body, against the same app's
 * /api/health in the same run. Tokens belong to --users registered users (one per connection,
 * round robin), registered through the API first.
 */
export const scenario: Scenario = {
  name: 'validation',
  order: 20,
  description: 'token validation: GET /api/auth/me and POST /api/auth/verify vs the app\'s own /api/health',
  async run(ctx): Promise<ScenarioOutcome> {
    const { connections, users: userCount } = ctx.options;
    const app = await ctx.startApp({ label: 'validation', bcryptRounds: 4 });
    ctx.log(`registering ${userCount} users`);
    const users = await registerUsers(app, userCount);
    const probe = await call(app, 'POST', '/api/auth/verify', { json: { token: users[0].token } });
    if (probe.status !== 200) throw new Error(`verify answered ${probe.status}: ${probe.text}`);

    ctx.log(`/api/health (baseline), ${ME} and ${VERIFY}, interleaved in ${ctx.options.rounds} rounds`);
    const tokenOf = (i: number): string => users[i % users.length].token;
    const [health, me, verify] = await ctx.measureInterleaved([
      { target: app, spec: healthLoad(connections) },
      { target: app, spec: meLoad(connections, tokenOf) },
      { target: app, spec: verifyLoad(connections, tokenOf) },
    ]);

    const ratio = (m: { rps: number }): number => (m.rps / health.rps) * 100;
    return {
      status: 'ok',
      rows: [rowOf(health), rowOf(me, { baseline: HEALTH }), rowOf(verify, { baseline: HEALTH })],
      notes: [health, me, verify].flatMap(problemsOf),
      targets: [
        check(`${ME} req/s vs /api/health`, ratio(me), '>=', 50, '%', 'issue 3'),
        check(`${VERIFY} req/s vs /api/health`, ratio(verify), '>=', 50, '%', 'issue 3'),
        check(`${ME} p99 at ${connections} connections`, me.p99Ms, '<', 25, 'ms', 'issue 3'),
        check(`${VERIFY} p99 at ${connections} connections`, verify.p99Ms, '<', 25, 'ms', 'issue 3'),
        check(`${ME} req/s vs /api/health`, ratio(me), '>=', 60, '%', 'issue 8'),
        check(`${VERIFY} req/s vs /api/health`, ratio(verify), '>=', 60, '%', 'issue 8'),
        check(`${ME} p99 at ${connections} connections`, me.p99Ms, '<', 15, 'ms', 'issue 8'),
        check(`${VERIFY} p99 at ${connections} connections`, verify.p99Ms, '<', 15, 'ms', 'issue 8'),
        check('peak RSS', Math.max(health.peakRssMb ?? 0, me.peakRssMb ?? 0, verify.peakRssMb ?? 0) || null, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};
