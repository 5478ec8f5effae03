import { bearerHeaders, call, jsonHeaders, registerUsers, type BenchUser } from '../lib/api';
import type { SequencedRequest } from '../lib/load';
import { check, kindsOf, problemsOf, rowOf, type Scenario, type ScenarioOutcome } from '../lib/scenario';
import { validationRequests } from '../lib/validation-loads';

const HEALTH = 'app GET /api/health';
const MIXED = 'mixed: 90% validation, 8% reads, 2% writes';
const SEQUENCE_LENGTH = 50;
/** Positions of the reads (4 of 50 = 8%) and the write (1 of 50 = 2%) in each connection's cycle. */
const READS = new Set([5, 17, 30, 42]);
const WRITE = 24;

type Step = SequencedRequest;

/**
 * What a product family's traffic looks like: each connection (one user) cycles through 50
 * requests: 45 token validations (GET /api/auth/me, POST /api/auth/verify and
 * GET /api/connect/check in turn), 4 reads (the session list and the user's audit log,
 * alternately) and 1 write (PATCH /api/auth/me, a transaction with its audit event), against
 * the same app's /api/health.
 */
export const scenario: Scenario = {
  name: 'mixed',
  order: 35,
  description: 'a mixed workload (90% token validation, 8% reads, 2% writes) vs the app\'s own /api/health',
  async run(ctx): Promise<ScenarioOutcome> {
    const { connections, users: userCount } = ctx.options;
    const app = await ctx.startApp({ label: 'mixed', bcryptRounds: 4 });
    ctx.log(`registering ${userCount} users`);
    const users = await registerUsers(app, userCount);
    for (const step of cycle(users[0], 0)) {
      const probe = await call(app, step.method, step.path, { token: users[0].token, json: step.body ? JSON.parse(step.body) : undefined });
      if (probe.status !== 200) throw new Error(`${step.method} ${step.path} answered ${probe.status}: ${probe.text.slice(0, 200)}`);
    }

    ctx.log(`/api/health (baseline) and ${MIXED}, interleaved in ${ctx.options.rounds} rounds`);
    const [health, mixed] = await ctx.measureInterleaved([
      { target: app, spec: { label: HEALTH, path: '/api/health', connections } },
      {
        target: app,
        spec: { label: MIXED, path: '/api/auth/me', connections, perConnection: (i) => ({ headers: {}, requests: cycle(users[i % users.length], i) }) },
      },
    ]);
    return {
      status: 'ok',
      rows: [rowOf(health), rowOf(mixed, { baseline: HEALTH })],
      notes: [...kindsOf(mixed), ...[health, mixed].flatMap(problemsOf)],
      targets: [check('peak RSS', Math.max(health.peakRssMb ?? 0, mixed.peakRssMb ?? 0) || null, '<', 200, 'MB', 'issue 8')],
    };
  },
};

/** One connection's cycle of SEQUENCE_LENGTH requests for `user`. */
function cycle(user: BenchUser, connection: number): Step[] {
  const auth = bearerHeaders(user.token);
  const validations = validationRequests(user.token);
  const reads: Step[] = [
    { method: 'GET', path: '/api/auth/sessions', headers: auth, kind: 'read' },
    { method: 'GET', path: '/api/audit?limit=20', headers: auth, kind: 'read' },
  ];
  const steps: Step[] = [];
  let v = 0;
  let r = 0;
  for (let k = 0; k < SEQUENCE_LENGTH; k++) {
    if (k === WRITE) {
      steps.push({
        method: 'PATCH',
        path: '/api/auth/me',
        headers: { ...auth, ...jsonHeaders },
        body: JSON.stringify({ displayName: `Bench ${connection}` }),
        kind: 'write',
      });
    } else if (READS.has(k)) {
      steps.push(reads[r++ % reads.length]);
    } else {
      steps.push(validations[v++ % validations.length]);
    }
  }
  return steps;
}
