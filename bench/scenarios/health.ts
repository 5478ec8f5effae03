import { call } from '../lib/api';
import { check, IDLE_SETTLE_MS, problemsOf, rowOf, type Row, type Scenario, type ScenarioOutcome } from '../lib/scenario';

const BARE = 'bare node:http';
const MINIMAL = 'minimal Nest (Express)';
const MINIMAL_PRESET = 'minimal Nest, app server';
const APP = 'app GET /api/health';

/**
 * GET /api/health of the built app against the framework's floor (a one-controller NestJS app,
 * Nest's defaults: the baseline), the same minimal app on the app's HTTP server
 * (ExpressHttpAdapter: requests built on Express's prototypes, a like-for-like floor) and the
 * machine's limit (a bare node:http server), each in its own process, their loads interleaved
 * (ctx.measureInterleaved).
 */
export const scenario: Scenario = {
  name: 'health',
  order: 10,
  description: 'GET /api/health: the built app vs a minimal NestJS app vs a bare node:http server',
  async run(ctx): Promise<ScenarioOutcome> {
    const connections = ctx.options.connections;
    const notes: string[] = [];
    const rows: Row[] = [];
    const spec = { path: '/api/health', connections };

    // Idle memory of each alone, then the three loads interleaved (the other two sit idle meanwhile).
    ctx.log('bare node:http server');
    const bare = await ctx.startBaseline('bare-http');
    const bareIdle = await ctx.idleRssMb(bare);
    ctx.log('minimal NestJS app');
    const minimal = await ctx.startBaseline('minimal-nest');
    const minimalIdle = await ctx.idleRssMb(minimal);
    ctx.log('minimal NestJS app on the app\'s HTTP server');
    const minimalPreset = await ctx.startBaseline('minimal-nest', { BENCH_PRESET_PROTOTYPES: 'true' });
    const minimalPresetIdle = await ctx.idleRssMb(minimalPreset);
    ctx.log('the built app');
    const app = await ctx.startApp({ label: 'health', bcryptRounds: 4 });
    const appAfterStart = await ctx.idleRssMb(app, 2000);
    const appIdle = await ctx.idleRssMb(app, IDLE_SETTLE_MS - 2000);
    notes.push(`app RSS 2 s after start ${appAfterStart?.toFixed(1)} MB; idle (${IDLE_SETTLE_MS / 1000} s without requests) ${appIdle?.toFixed(1)} MB`);
    const answer = await call(app, 'GET', '/api/health');
    if (answer.text !== ctx.healthBody) notes.push(`the app's /api/health answered ${answer.text}, the baselines ${ctx.healthBody}`);
    ctx.log(`the four, interleaved in ${ctx.options.rounds} rounds`);
    const [bareRun, minimalRun, minimalPresetRun, appRun] = await ctx.measureInterleaved([
      { target: bare, spec: { ...spec, label: BARE } },
      { target: minimal, spec: { ...spec, label: MINIMAL } },
      { target: minimalPreset, spec: { ...spec, label: MINIMAL_PRESET } },
      { target: app, spec: { ...spec, label: APP } },
    ]);
    await bare.stop();
    await minimal.stop();
    await minimalPreset.stop();
    rows.push(rowOf(bareRun, { idleRssMb: bareIdle }));
    rows.push(rowOf(minimalRun, { idleRssMb: minimalIdle, baseline: BARE }));
    rows.push(rowOf(minimalPresetRun, { idleRssMb: minimalPresetIdle, baseline: MINIMAL }));
    rows.push(rowOf(appRun, { idleRssMb: appIdle, baseline: MINIMAL }));

    for (const m of [bareRun, minimalRun, minimalPresetRun, appRun]) notes.push(...problemsOf(m));
    const ofBare = (m: { rps: number }) => `${((m.rps / bareRun.rps) * 100).toFixed(1)}%`;
    notes.push(`of the bare server: minimal Nest ${ofBare(minimalRun)}, on the app's server ${ofBare(minimalPresetRun)}; the app ${ofBare(appRun)}`);
    notes.push(`the app serves ${((appRun.rps / minimalPresetRun.rps) * 100).toFixed(1)}% of the minimal Nest app on the same HTTP server (like for like; the target is against Nest's defaults)`);
    return {
      status: 'ok',
      rows,
      notes,
      targets: [
        check('app req/s vs minimal Nest', (appRun.rps / minimalRun.rps) * 100, '>=', 80, '%', 'issue 2'),
        check(`app p99 at ${connections} connections`, appRun.p99Ms, '<', 20, 'ms', 'issue 2'),
        check('app idle RSS', appIdle, '<', 120, 'MB', 'issue 2'),
        check('app peak RSS under load', appRun.peakRssMb, '<', 200, 'MB', 'issue 8'),
      ],
    };
  },
};
