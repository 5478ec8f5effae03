import autocannon from 'autocannon';
import { ProcessMonitor, type PhaseStats, type ServerProcess } from './processes';

/** One request of a connection's sequence; `kind` groups its latencies in the Measurement's `byKind`. */
export interface SequencedRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  headers: Record<string, string>;
  body?: string;
  kind?: string;
}

/** Latency of one kind of request within a load of mixed requests. */
export interface KindLatency {
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadSpec {
  /** Shown in the table. */
  label: string;
  method?: 'GET' | 'POST';
  path: string;
  /** Same for every request, or one per connection (e.g. a token per user). */
  headers?: Record<string, string>;
  body?: string;
  perConnection?: (index: number) => {
    headers: Record<string, string>;
    body?: string;
    path?: string;
    /** A sequence this connection cycles through (a mixed workload); overrides the rest. */
    requests?: SequencedRequest[];
  };
  connections: number;
  /** Measured seconds. */
  duration: number;
  /** Unmeasured seconds first. */
  warmup: number;
}

export interface Measurement {
  label: string;
  path: string;
  method: string;
  connections: number;
  durationS: number;
  /** Mean 2xx responses per second (autocannon's per-second mean, less the non-2xx share). */
  rps: number;
  /** Mean responses per second, whatever their status. */
  rpsAll: number;
  requests: number;
  /** Latency of 2xx responses, ms, from autocannon's own per-response timings (sub-millisecond). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Peak VmRSS of the target process while this phase ran. */
  peakRssMb: number | null;
  /** VmHWM (lifetime peak RSS) of the target process at the end of the phase. */
  hwmMb: number | null;
  /** CPU cores the target process used on average during the phase. */
  cpuCores: number | null;
  /** CPU cores the rest of the machine (other users) used meanwhile. */
  otherCores: number | null;
  /** CPU cores the load generator (this runner) used. */
  loadGeneratorCores: number;
  /** Set when measured in slices interleaved with other loads (measureInterleaved). */
  interleaved?: { rounds: number; sliceS: number };
  /** 2xx latency per `kind` of the sequenced requests (a mixed workload), when they name one. */
  byKind?: Record<string, KindLatency>;
}

/** Latencies collected per response: exact percentiles instead of autocannon's whole milliseconds. */
class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private count = 0;
  private readonly max = 20_000_000;
  private readonly kinds = new Map<string, LatencyRecorder>();

  /** Records one latency, also under its request's kind when it has one. */
  add(ms: number, kind?: string): void {
    if (kind !== undefined) {
      let ofKind = this.kinds.get(kind);
      if (!ofKind) this.kinds.set(kind, (ofKind = new LatencyRecorder()));
      ofKind.add(ms);
    }
    if (this.count >= this.max) return;
    if (this.count === this.values.length) {
      const bigger = new Float64Array(Math.min(this.values.length * 2, this.max));
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  percentiles(): { p50: number; p90: number; p99: number; max: number } {
    if (this.count === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN };
    const sorted = this.values.subarray(0, this.count).sort();
    const at = (q: number): number => sorted[Math.min(this.count - 1, Math.ceil(q * this.count) - 1)];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[this.count - 1] };
  }

  /** The latencies of each kind recorded, or undefined when no request named one. */
  byKind(): Record<string, KindLatency> | undefined {
    if (this.kinds.size === 0) return undefined;
    const out: Record<string, KindLatency> = {};
    for (const [kind, recorder] of this.kinds) out[kind] = { requests: recorder.count, ...latencyFields(recorder) };
    return out;
  }
}

function assertLoopback(baseUrl: string): void {
  const host = new URL(baseUrl).hostname;
  if (host !== '127.0.0.1') throw new Error(`refusing to load ${host}: the benchmark only targets 127.0.0.1`);
}

function fire(
  target: ServerProcess,
  spec: LoadSpec,
  duration: number,
  recorder?: LatencyRecorder,
  /** Latencies of responses in the first `settleMs` are not recorded (throughput still counts them). */
  settleMs = 0,
): { instance: autocannon.Instance; done: Promise<autocannon.Result> } {
  assertLoopback(target.baseUrl);
  let next = 0;
  const perConnection = spec.perConnection;
  let resolveDone!: (r: autocannon.Result) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const instance = autocannon(
    {
      url: target.baseUrl + spec.path,
      method: spec.method ?? 'GET',
      connections: spec.connections,
      duration,
      timeout: 10,
      headers: spec.headers,
      body: spec.body,
      setupClient: perConnection
        ? (client) => {
            const { headers, body, path, requests } = perConnection(next++);
            if (requests) client.setRequests(requests);
            else if (path !== undefined) client.setRequests([{ method: spec.method ?? 'GET', path, headers, ...(body === undefined ? {} : { body }) }]);
            else if (body === undefined) client.setHeaders(headers);
            else client.setHeadersAndBody(headers, body);
          }
        : undefined,
    },
    (err, result) => (err ? rejectDone(err) : resolveDone(result)),
  );
  if (recorder) {
    const recordFrom = performance.now() + settleMs;
    instance.on('response', (client, statusCode, _bytes, responseTime) => {
      // With pipelining 1, the client's current request is the one this response answers
      // (autocannon moves to the next only after emitting 'response').
      if (statusCode >= 200 && statusCode < 300 && (settleMs === 0 || performance.now() >= recordFrom)) {
        recorder.add(responseTime, client.requestIterator?.currentRequest?.kind);
      }
    });
  }
  // Bounded: autocannon stops itself after `duration`; this is the backstop.
  const guard = setTimeout(() => instance.stop(), (duration + 30) * 1000);
  guard.unref();
  void done.finally(() => clearTimeout(guard)).catch(() => undefined);
  return { instance, done };
}

/** What identifies a load in its Measurement. */
function loadFields(spec: LoadSpec): Pick<Measurement, 'label' | 'path' | 'method' | 'connections' | 'durationS'> {
  return { label: spec.label, path: spec.path, method: spec.method ?? 'GET', connections: spec.connections, durationS: spec.duration };
}

/** A recorder's percentiles as Measurement fields. */
function latencyFields(recorder: LatencyRecorder): Pick<KindLatency, 'p50Ms' | 'p90Ms' | 'p99Ms' | 'maxMs'> {
  const p = recorder.percentiles();
  return { p50Ms: p.p50, p90Ms: p.p90, p99Ms: p.p99, maxMs: p.max };
}

/** Warm-up (discarded), then the measured run with the target's memory and CPU watched. */
export async function measure(target: ServerProcess, spec: LoadSpec): Promise<Measurement> {
  const [only] = await measureTogether(target, [spec]);
  return only;
}

/**
 * Several loads against one target at the same time (e.g. validation during a login storm):
 * warm-ups together (discarded), then the measured runs together.
 */
export async function measureTogether(target: ServerProcess, specs: LoadSpec[]): Promise<Measurement[]> {
  await Promise.all(specs.filter((s) => s.warmup > 0).map((s) => fire(target, s, s.warmup).done));
  const recorders = specs.map(() => new LatencyRecorder());
  const monitor = new ProcessMonitor(target.pid);
  const runs = specs.map((s, i) => fire(target, s, s.duration, recorders[i]));
  const settled = await Promise.allSettled(runs.map((r) => r.done));
  const stats = monitor.stop();
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  return settled.map((s, i) => {
    const result = (s as PromiseFulfilledResult<autocannon.Result>).value;
    const spec = specs[i];
    const statusCodes: Record<string, number> = {};
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
    const total = Object.values(statusCodes).reduce((a, b) => a + b, 0);
    const ok = Object.entries(statusCodes).reduce((a, [code, n]) => (code.startsWith('2') ? a + n : a), 0);
    return {
      ...loadFields(spec),
      rps: total ? (result.requests.average * ok) / total : 0,
      rpsAll: result.requests.average,
      requests: result.requests.total,
      ...latencyFields(recorders[i]),
      byKind: recorders[i].byKind(),
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes,
      peakRssMb: stats.peakRssMb,
      hwmMb: stats.hwmMb,
      cpuCores: stats.cpuCores,
      otherCores: stats.otherCores,
      loadGeneratorCores: stats.loadGeneratorCores,
    };
  });
}

/** The target process's figures over a load's slices: seconds-weighted cores, the peak RSS. */
class SliceProcessStats {
  seconds = 0;
  private peakRssMb: number | null = null;
  private hwmMb: number | null = null;
  private cpu = 0;
  private other = 0;
  private loadGenerator = 0;

  add(stats: PhaseStats, seconds: number): void {
    this.seconds += seconds;
    if (stats.peakRssMb !== null) this.peakRssMb = Math.max(this.peakRssMb ?? 0, stats.peakRssMb);
    this.hwmMb = stats.hwmMb ?? this.hwmMb;
    this.cpu += (stats.cpuCores ?? 0) * seconds;
    this.other += (stats.otherCores ?? 0) * seconds;
    this.loadGenerator += stats.loadGeneratorCores * seconds;
  }

  fields(): Pick<Measurement, 'peakRssMb' | 'hwmMb' | 'cpuCores' | 'otherCores' | 'loadGeneratorCores'> {
    return {
      peakRssMb: this.peakRssMb,
      hwmMb: this.hwmMb,
      cpuCores: this.cpu / this.seconds,
      otherCores: this.other / this.seconds,
      loadGeneratorCores: this.loadGenerator / this.seconds,
    };
  }
}

/**
 * Loads measured one after another in short slices, round after round (A B C A B C …), each
 * against its own target (one app, or one process per baseline). This machine's speed drifts
 * within minutes (on 2026-12-02 the same /api/health moved 2 506–4 918 req/s between runs), so
 * phases run back to back compare different machines; interleaved, each load sees the same mix
 * of fast and slow periods and their ratio compares like with like. Every warm-up first
 * (discarded); then `rounds` slices of duration ÷ rounds seconds per load; latencies of a
 * slice's first SLICE_SETTLE_S seconds are not recorded. Throughput is the
 * 2xx responses over the slices' seconds; latency percentiles over all of them; peak RSS the
 * highest of any slice; CPU the time-weighted mean.
 */
export const SLICE_SETTLE_S = 0.5;

export async function measureInterleaved(loads: Array<{ target: ServerProcess; spec: LoadSpec }>, rounds: number): Promise<Measurement[]> {
  for (const { target, spec } of loads) if (spec.warmup > 0) await fire(target, spec, spec.warmup).done;
  const acc = loads.map(() => ({
    recorder: new LatencyRecorder(),
    process: new SliceProcessStats(),
    ok: 0,
    responses: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: {} as Record<string, number>,
  }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, { target, spec }] of loads.entries()) {
      const a = acc[i];
      const monitor = new ProcessMonitor(target.pid);
      const started = process.hrtime.bigint();
      // A slice opens fresh connections: the latency of its first moments stands for the switch
      // between loads, not for the load, and is left out (its responses still count as throughput).
      const result = await fire(target, spec, spec.duration / rounds, a.recorder, SLICE_SETTLE_S * 1000).done;
      a.process.add(monitor.stop(), Number(process.hrtime.bigint() - started) / 1e9);
      for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
        a.statusCodes[code] = (a.statusCodes[code] ?? 0) + count;
        a.responses += count;
        if (code.startsWith('2')) a.ok += count;
      }
      a.errors += result.errors;
      a.timeouts += result.timeouts;
    }
  }
  return loads.map(({ spec }, i) => {
    const a = acc[i];
    return {
      ...loadFields(spec),
      rps: a.ok / a.process.seconds,
      rpsAll: a.responses / a.process.seconds,
      requests: a.responses,
      ...latencyFields(a.recorder),
      byKind: a.recorder.byKind(),
      non2xx: a.responses - a.ok,
      errors: a.errors,
      timeouts: a.timeouts,
      statusCodes: a.statusCodes,
      ...a.process.fields(),
      interleaved: { rounds, sliceS: spec.duration / rounds },
    };
  });
}

/** A load whose unit is a short sequence of requests (e.g. the two steps of a 2FA login). */
export interface FlowSpec {
  label: string;
  /** Shown in the JSON (the flow's first path). */
  path: string;
  connections: number;
  duration: number;
  warmup: number;
  /** One whole flow; resolves true when it succeeded. Runs `connections` at a time. */
  step: () => Promise<boolean>;
}

/** `spec.connections` workers run `spec.step` back to back for `seconds`; each started flow is finished. */
async function driveFlow(spec: FlowSpec, seconds: number, recorder?: LatencyRecorder): Promise<{ ok: number; failed: number; errors: number }> {
  const until = Date.now() + seconds * 1000;
  const counts = { ok: 0, failed: 0, errors: 0 };
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (Date.now() < until) {
        const started = process.hrtime.bigint();
        try {
          if (await spec.step()) {
            counts.ok++;
            recorder?.add(Number(process.hrtime.bigint() - started) / 1e6);
          } else counts.failed++;
        } catch {
          counts.errors++;
        }
      }
    }),
  );
  return counts;
}

/**
 * For flows autocannon cannot chain (a request built from the previous answer): `connections`
 * workers run `step` back to back; throughput is completed flows per second and latency is
 * that of a whole successful flow. Warm-up first (discarded), target process watched as in `measure`.
 */
export async function measureFlow(target: ServerProcess, spec: FlowSpec): Promise<Measurement> {
  // One whole phase: the interleaved measurement of one target in one round.
  const [measured] = await measureFlowInterleaved([{ target, spec }], 1);
  delete measured.interleaved;
  return measured;
}

/**
 * Flows (measureFlow) on several targets, taking turns in `rounds` slices of duration ÷ rounds
 * seconds, as measureInterleaved does for autocannon loads: each target's flows see the same
 * machine. A slice ends when its last started flow has finished.
 */
export async function measureFlowInterleaved(loads: Array<{ target: ServerProcess; spec: FlowSpec }>, rounds: number): Promise<Measurement[]> {
  for (const { target } of loads) assertLoopback(target.baseUrl);
  for (const { spec } of loads) if (spec.warmup > 0) await driveFlow(spec, spec.warmup);
  const acc = loads.map(() => ({ recorder: new LatencyRecorder(), process: new SliceProcessStats(), ok: 0, failed: 0, errors: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, { target, spec }] of loads.entries()) {
      const a = acc[i];
      const monitor = new ProcessMonitor(target.pid);
      const started = process.hrtime.bigint();
      const counts = await driveFlow(spec, spec.duration / rounds, a.recorder);
      a.process.add(monitor.stop(), Number(process.hrtime.bigint() - started) / 1e9);
      a.ok += counts.ok;
      a.failed += counts.failed;
      a.errors += counts.errors;
    }
  }
  return loads.map(({ spec }, i) => {
    const a = acc[i];
    const total = a.ok + a.failed + a.errors;
    return {
      label: spec.label,
      path: spec.path,
      method: 'POST',
      connections: spec.connections,
      durationS: spec.duration,
      rps: a.ok / a.process.seconds,
      rpsAll: total / a.process.seconds,
      requests: total,
      ...latencyFields(a.recorder),
      non2xx: a.failed,
      errors: a.errors,
      timeouts: 0,
      statusCodes: {},
      ...a.process.fields(),
      interleaved: { rounds, sliceS: spec.duration / rounds },
    };
  });
}
