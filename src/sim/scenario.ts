// A simulation scenario: the workload (interfaces, neighbors, paths, connection arrivals, transfers,
// flow sizes, idle gaps, rates, priorities), the target, the host's knobs, what `compare` sweeps,
// and a timeline of events. Validated whole before anything runs: every problem names its field.
// Every knob is documented in scenarios/README.md.

import { UploadReason } from '../table/enums.js';
import type { HostPolicy } from '../host/stack.js';
import { Problems, show } from './fields.js';
import { policies as builtInPolicies } from '../host/policies/index.js';
import { optionIssues, type PolicySchema } from '../host/policies/options.js';
import { readEvents, type ScenarioEvent } from './events.js';

export type { ScenarioEvent } from './events.js';

export type FlowSizes = 'websearch' | 'hadoop' | { cdf: [number, number][] };

/** Idle time between two transfers of one connection. */
export type IdleGap =
  | { distribution: 'fixed'; ms: number }
  | { distribution: 'exponential'; meanMs: number }
  /** Heavy-tailed: P(gap > x) = (minMs / x)^alpha for x >= minMs; alpha <= 1 has no finite mean. */
  | { distribution: 'pareto'; minMs: number; alpha: number };

/** A policy to compare: a built-in name or a module path, with its options. */
export interface PolicySpec {
  policy: string;
  options?: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  seed: number;
  durationMs: number;
  tickMs: number;
  interfaces: { ifIndex: number; neighbors: number; pathsPerNeighbor: number }[];
  connections: {
    count: number;
    /** Arrivals are spread over [0, arrivalMs) as a Poisson process. */
    arrivalMs: number;
    flowSizes: FlowSizes;
    /** Each connection moves at a rate drawn uniformly from [min, max] bytes/s while it transfers. */
    rateBytesPerSecond: { min: number; max: number };
    /** Priority (0..255) -> weight. */
    priorities: Record<string, number>;
    /** Transfers per connection, drawn uniformly from [min, max]; each one's size from flowSizes. */
    transfers: { min: number; max: number };
    /** Idle time between transfers. */
    idleGapMs: IdleGap;
    /** Idle time after the last transfer before the connection closes. */
    keepAliveMs: number;
    /** Share of each transfer's bytes the local side sends (the rest it receives). */
    sentShare: number;
  };
  target: {
    capacity: number;
    latencyMs: number | { min: number; max: number };
    faults: { initiateFailure?: number; hardwareFailure?: number; uploadRequests?: number };
  };
  policy: HostPolicy;
  /** A connection terminated having carried fewer offloaded bytes than this is a wasted offload. */
  wasteThresholdBytes: number;
  /** What `compare` runs when the command line does not say. */
  compare: { policies: PolicySpec[]; capacities: number[] };
  events: ScenarioEvent[];
}

/** A scenario file that cannot run, with every problem found. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: string[]) {
    super(`the scenario is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Largest values a field takes (a machine runs out long before these; see limits.ts for the real check). */
export const LIMITS = { connections: 100_000_000, capacity: 100_000_000, durationMs: 365 * 86_400_000, cdfPoints: 10_000 };

const MUST_HONOUR = ['HardwareFailure', 'InvalidState', 'ReceivedUrgentData', 'TimeoutExpiration', 'UploadRequested'];
const ADVISORY = Object.keys(UploadReason).filter((k) => Number.isNaN(Number(k)) && !MUST_HONOUR.includes(k));
const DEFAULT_POLICIES = ['eager', 'threshold', 'rebalance'];

/** Reads a parsed JSON value as a scenario, filling defaults; throws ScenarioError listing every problem. */
export function readScenario(input: unknown): Scenario {
  const p = new Problems();
  const root = p.object(input, 'scenario', [
    '$schema',
    'name',
    'description',
    'seed',
    'durationMs',
    'tickMs',
    'interfaces',
    'connections',
    'target',
    'policy',
    'wasteThresholdBytes',
    'compare',
    'events',
  ]);
  const name =
    root.name === undefined ? 'unnamed' : typeof root.name === 'string' ? root.name : (p.fail('name', `must be a string, got ${show(root.name)}`), 'unnamed');
  const seed = p.int(root.seed, 'seed', 0, 2 ** 32 - 1, 1);
  const before = p.list.length;
  const durationMs = p.int(root.durationMs, 'durationMs', 1, LIMITS.durationMs);
  // Fields bounded by the duration (arrivals, event times) are checked against the largest one
  // when the duration itself is bad, so that one bad number is one problem, not a screenful.
  const within = p.list.length > before ? LIMITS.durationMs : durationMs;
  const tickMs = p.int(root.tickMs, 'tickMs', 1, 3_600_000, 100);

  const interfaces: Scenario['interfaces'] = [];
  if (!Array.isArray(root.interfaces) || root.interfaces.length === 0) p.fail('interfaces', `must be a non-empty array, got ${show(root.interfaces)}`);
  else if (root.interfaces.length > 4096) p.fail('interfaces', `at most 4096 interfaces, got ${root.interfaces.length}`);
  else {
    root.interfaces.forEach((v, i) => {
      const f = `interfaces[${i}]`;
      const o = p.object(v, f, ['ifIndex', 'neighbors', 'pathsPerNeighbor']);
      const ifIndex = p.int(o.ifIndex, `${f}.ifIndex`, 0, 2 ** 32 - 1);
      if (interfaces.some((x) => x.ifIndex === ifIndex)) p.fail(`${f}.ifIndex`, `interface ${ifIndex} is listed twice`);
      // Paths are built on demand from their number, so 100,000 x 100,000 costs nothing up front.
      interfaces.push({
        ifIndex,
        neighbors: p.int(o.neighbors, `${f}.neighbors`, 1, 65_536),
        pathsPerNeighbor: p.int(o.pathsPerNeighbor, `${f}.pathsPerNeighbor`, 1, 1 << 24),
      });
    });
  }

  const c = p.object(root.connections, 'connections', [
    'count',
    'arrivalMs',
    'flowSizes',
    'rateBytesPerSecond',
    'priorities',
    'transfers',
    'idleGapMs',
    'keepAliveMs',
    'sentShare',
  ]);
  const flowSizes = readFlowSizes(c.flowSizes, p);
  const rate = p.object(c.rateBytesPerSecond ?? { min: 1000, max: 100_000 }, 'connections.rateBytesPerSecond', ['min', 'max']);
  const rateMin = p.num(rate.min, 'connections.rateBytesPerSecond.min', 1, 1e12);
  const rateMax = p.num(rate.max, 'connections.rateBytesPerSecond.max', rateMin, 1e12);
  const priorities: Record<string, number> = {};
  const prio = p.object(
    c.priorities ?? { 0: 1 },
    'connections.priorities',
    Array.from({ length: 256 }, (_, i) => String(i)),
  );
  for (const [k, w] of Object.entries(prio)) priorities[k] = p.num(w, `connections.priorities.${k}`, 0, 1e9);
  if (Object.keys(priorities).length && Object.values(priorities).every((w) => w === 0))
    p.fail('connections.priorities', 'at least one weight must be positive');
  const transfersIn = p.object(c.transfers ?? { min: 1, max: 1 }, 'connections.transfers', ['min', 'max']);
  const transfersMin = p.int(transfersIn.min, 'connections.transfers.min', 1, 1_000_000, 1);
  const connections: Scenario['connections'] = {
    count: p.int(c.count, 'connections.count', 0, LIMITS.connections),
    arrivalMs: p.int(c.arrivalMs, 'connections.arrivalMs', 1, within, Math.max(1, Math.floor(durationMs * 0.6))),
    flowSizes,
    rateBytesPerSecond: { min: rateMin, max: rateMax },
    priorities,
    transfers: { min: transfersMin, max: p.int(transfersIn.max, 'connections.transfers.max', transfersMin, 1_000_000, transfersMin) },
    idleGapMs: readIdleGap(c.idleGapMs, p),
    keepAliveMs: p.int(c.keepAliveMs, 'connections.keepAliveMs', 0, LIMITS.durationMs, 0),
    sentShare: p.num(c.sentShare, 'connections.sentShare', 0, 1, 0.1),
  };

  const t = p.object(root.target, 'target', ['capacity', 'latencyMs', 'faults']);
  let latencyMs: Scenario['target']['latencyMs'] = 0;
  if (typeof t.latencyMs === 'number' || t.latencyMs === null || typeof t.latencyMs !== 'object') {
    if (t.latencyMs !== undefined) latencyMs = p.num(t.latencyMs, 'target.latencyMs', 0, 3_600_000);
  } else {
    const l = p.object(t.latencyMs, 'target.latencyMs', ['min', 'max']);
    const min = p.num(l.min, 'target.latencyMs.min', 0, 3_600_000);
    latencyMs = { min, max: p.num(l.max, 'target.latencyMs.max', min, 3_600_000) };
  }
  const faultsIn = p.object(t.faults ?? {}, 'target.faults', ['initiateFailure', 'hardwareFailure', 'uploadRequests']);
  const faults: Scenario['target']['faults'] = {};
  for (const k of ['initiateFailure', 'hardwareFailure', 'uploadRequests'] as const) {
    if (faultsIn[k] !== undefined) faults[k] = p.num(faultsIn[k], `target.faults.${k}`, 0, 1);
  }
  const capacity = p.int(t.capacity, 'target.capacity', 0, LIMITS.capacity);
  const target: Scenario['target'] = { capacity, latencyMs, faults };

  const policy = readHostPolicy(root.policy, p);
  const wasteThresholdBytes = p.num(root.wasteThresholdBytes, 'wasteThresholdBytes', 0, 1e15, 65_536);
  const compare = readCompare(root.compare, p, capacity);
  const events = readEvents(root.events, p, { durationMs: within, interfaces: new Set(interfaces.map((i) => i.ifIndex)) });
  if (p.list.length) throw new ScenarioError(p.list);
  return { name, seed, durationMs, tickMs, interfaces, connections, target, policy, wasteThresholdBytes, compare, events };
}

function readFlowSizes(v: unknown, p: Problems): FlowSizes {
  if (v === undefined || v === 'websearch' || v === 'hadoop') return v ?? 'websearch';
  if (typeof v === 'string') {
    p.fail('connections.flowSizes', `must be "websearch", "hadoop" or { "cdf": [[bytes, percent], ...] }, got ${show(v)}`);
    return 'websearch';
  }
  const o = p.object(v, 'connections.flowSizes', ['cdf']);
  const cdf = o.cdf;
  if (
    !Array.isArray(cdf) ||
    cdf.length < 2 ||
    cdf.length > LIMITS.cdfPoints ||
    !cdf.every((x) => Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === 'number' && Number.isFinite(y) && y >= 0))
  ) {
    p.fail('connections.flowSizes.cdf', `must be 2..${LIMITS.cdfPoints} points [bytes, percent] of finite numbers >= 0`);
    return 'websearch';
  }
  const points = cdf as [number, number][];
  const problem = cdfProblem(points);
  if (problem) p.fail('connections.flowSizes.cdf', problem);
  return { cdf: points };
}

/** Why a CDF cannot be sampled, or undefined. Shared by the scenario reader and the .cdf file parser. */
export function cdfProblem(points: readonly (readonly [number, number])[]): string | undefined {
  if (points.some((x, i) => i > 0 && (x[0] < points[i - 1]![0] || x[1] < points[i - 1]![1]))) return 'sizes and percents must not decrease';
  if (points[points.length - 1]![1] !== 100) return 'the last percent must be 100';
  if (points[points.length - 1]![0] > 1e15) return 'sizes above 1e15 bytes are not a flow';
  return undefined;
}

function readIdleGap(v: unknown, p: Problems): IdleGap {
  if (v === undefined) return { distribution: 'exponential', meanMs: 1000 };
  const f = 'connections.idleGapMs';
  const kind = p.oneOf((v as { distribution?: unknown } | null)?.distribution, `${f}.distribution`, ['fixed', 'exponential', 'pareto'] as const);
  if (kind === 'fixed') {
    const o = p.object(v, f, ['distribution', 'ms']);
    return { distribution: kind, ms: p.num(o.ms, `${f}.ms`, 0, LIMITS.durationMs) };
  }
  if (kind === 'exponential') {
    const o = p.object(v, f, ['distribution', 'meanMs']);
    return { distribution: kind, meanMs: p.num(o.meanMs, `${f}.meanMs`, 0, LIMITS.durationMs) };
  }
  const o = p.object(v, f, ['distribution', 'minMs', 'alpha']);
  return { distribution: kind, minMs: p.num(o.minMs, `${f}.minMs`, 1e-3, LIMITS.durationMs), alpha: p.num(o.alpha, `${f}.alpha`, 0.1, 100) };
}

function readHostPolicy(v: unknown, p: Problems): HostPolicy {
  if (v === undefined) return {};
  const o = p.object(v, 'policy', ['lowActivity', 'honorAdvisory', 'mediaDisconnectGraceMs', 'preempt']);
  const out: HostPolicy = {};
  if (o.lowActivity === false) out.lowActivity = false;
  else if (o.lowActivity !== undefined && (o.lowActivity === null || typeof o.lowActivity !== 'object' || Array.isArray(o.lowActivity))) {
    p.fail(
      'policy.lowActivity',
      `must be { thresholdBytesPerSecond, windowMs, quietMs } or false (never terminate for low activity), got ${show(o.lowActivity)}`,
    );
  } else if (o.lowActivity !== undefined) {
    const l = p.object(o.lowActivity, 'policy.lowActivity', ['thresholdBytesPerSecond', 'windowMs', 'quietMs']);
    out.lowActivity = {
      thresholdBytesPerSecond: p.num(l.thresholdBytesPerSecond, 'policy.lowActivity.thresholdBytesPerSecond', 0, 1e15, 4096),
      windowMs: p.num(l.windowMs, 'policy.lowActivity.windowMs', 1, LIMITS.durationMs, 10_000),
      quietMs: p.int(l.quietMs, 'policy.lowActivity.quietMs', 0, LIMITS.durationMs, 10_000),
    };
  }
  if (o.honorAdvisory !== undefined) {
    if (!Array.isArray(o.honorAdvisory)) p.fail('policy.honorAdvisory', `must be an array of advisory UploadReason names, got ${show(o.honorAdvisory)}`);
    else {
      out.honorAdvisory = o.honorAdvisory.map((r, i) => {
        if (typeof r === 'string' && MUST_HONOUR.includes(r))
          p.fail(`policy.honorAdvisory[${i}]`, `${r} is always honoured (a must-honour reason); list only advisory ones: ${ADVISORY.join(', ')}`);
        else if (typeof r !== 'string' || !ADVISORY.includes(r))
          p.fail(`policy.honorAdvisory[${i}]`, `must be an advisory UploadReason name (${ADVISORY.join(', ')}), got ${show(r)}`);
        return UploadReason[r as keyof typeof UploadReason];
      });
    }
  }
  if (o.mediaDisconnectGraceMs !== undefined) out.mediaDisconnectGraceMs = p.int(o.mediaDisconnectGraceMs, 'policy.mediaDisconnectGraceMs', 0, 2 ** 31);
  if (o.preempt !== undefined) {
    if (typeof o.preempt !== 'boolean') p.fail('policy.preempt', `must be true or false, got ${show(o.preempt)}`);
    else out.preempt = o.preempt;
  }
  return out;
}

function readCompare(v: unknown, p: Problems, capacity: number): Scenario['compare'] {
  const o = p.object(v ?? {}, 'compare', ['policies', 'capacities']);
  const policies: PolicySpec[] = [];
  if (o.policies === undefined) policies.push(...DEFAULT_POLICIES.map((policy) => ({ policy })));
  else if (!Array.isArray(o.policies) || o.policies.length === 0)
    p.fail('compare.policies', `must be a non-empty array of policy names or { "policy": name, "options": {...} }, got ${show(o.policies)}`);
  else {
    o.policies.forEach((x, i) => {
      if (typeof x === 'string' && x) return void policies.push({ policy: x });
      const e = p.object(x, `compare.policies[${i}]`, ['policy', 'options']);
      if (typeof e.policy !== 'string' || !e.policy) p.fail(`compare.policies[${i}].policy`, `must be a policy name or a module path, got ${show(e.policy)}`);
      if (e.options !== undefined && (e.options === null || typeof e.options !== 'object' || Array.isArray(e.options)))
        p.fail(`compare.policies[${i}].options`, `must be an object, got ${show(e.options)}`);
      // A built-in policy's options are checked here against its schema, in the same pass as
      // every other field (a module's own policy is checked when it is loaded).
      else if (typeof e.policy === 'string' && Object.hasOwn(builtInPolicies, e.policy)) {
        for (const issue of optionIssues((builtInPolicies[e.policy] as unknown as { schema: PolicySchema }).schema, e.options))
          p.fail(`compare.policies[${i}].options${issue.field ? `.${issue.field}` : ''}`, issue.message);
      }
      policies.push({ policy: String(e.policy), ...(e.options ? { options: e.options as Record<string, unknown> } : {}) });
    });
  }
  let capacities: number[] = [];
  if (o.capacities === undefined) capacities = defaultCapacities(capacity);
  else if (!Array.isArray(o.capacities) || o.capacities.length === 0 || o.capacities.length > 64)
    p.fail('compare.capacities', `must be 1..64 capacities, got ${show(o.capacities)}`);
  else capacities = o.capacities.map((x, i) => p.int(x, `compare.capacities[${i}]`, 0, LIMITS.capacity));
  return { policies, capacities };
}

/** Five capacities around the scenario's: a quarter, a half, itself, twice, four times. */
export function defaultCapacities(capacity: number): number[] {
  return [...new Set([0.25, 0.5, 1, 2, 4].map((f) => Math.round(capacity * f)))];
}
