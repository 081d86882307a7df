// A simulation scenario: the workload (interfaces, neighbors, paths, connection arrivals, flow
// sizes, rates, priorities), the target, the policy and a timeline of events. Validated whole
// before anything runs: every problem names its field.

import { UploadReason } from '../enums.js';
import type { HostPolicy } from '../host.js';

export type FlowSizes = 'websearch' | 'hadoop' | { cdf: [number, number][] };

export type ScenarioEvent =
  | { atMs: number; type: 'linkDown' | 'linkUp' | 'invalidateNeighbor'; ifIndex: number }
  | { atMs: number; type: 'pause'; ifIndex?: number }
  | { atMs: number; type: 'restart' | 'uploadAll' | 'offloadPause' | 'offloadResume' | 'powerTransition' }
  | { atMs: number; type: 'uploadRequests'; count: number; reason: keyof typeof UploadReason }
  | { atMs: number; type: 'burst'; count: number; priority: number }
  | { atMs: number; type: 'close'; count: number };

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
    /** Each connection moves its flow at a rate drawn from [min, max] bytes/s, then goes quiet. */
    rateBytesPerSecond: { min: number; max: number };
    /** Priority (0..255) -> weight. */
    priorities: Record<string, number>;
  };
  target: {
    capacity: number;
    latencyMs: number | { min: number; max: number };
    faults: { initiateFailure?: number; hardwareFailure?: number; uploadRequests?: number };
  };
  policy: HostPolicy;
  events: ScenarioEvent[];
}

/** A scenario file that cannot run, with every problem found. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly problems: string[]) {
    super(`the scenario is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const EVENT_TYPES = ['linkDown', 'linkUp', 'invalidateNeighbor', 'pause', 'restart', 'uploadAll', 'offloadPause', 'offloadResume', 'powerTransition', 'uploadRequests', 'burst', 'close'];

/** Reads a parsed JSON value as a scenario, filling defaults; throws ScenarioError listing every problem. */
export function readScenario(input: unknown): Scenario {
  const problems: string[] = [];
  const fail = (field: string, what: string) => problems.push(`${field}: ${what}`);
  const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));

  const object = (v: unknown, field: string, known: string[]): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      fail(field, `must be an object, got ${show(v)}`);
      return {};
    }
    for (const k of Object.keys(v)) if (!known.includes(k)) fail(`${field}.${k}`, `unknown field (known: ${known.join(', ')})`);
    return v as Record<string, unknown>;
  };
  const int = (v: unknown, field: string, min: number, max: number, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      fail(field, `must be an integer ${min}..${max}${v === undefined ? ' (missing)' : `, got ${show(v)}`}`);
      return fallback ?? min;
    }
    return v;
  };
  const num = (v: unknown, field: string, min: number, max: number, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      fail(field, `must be a number ${min}..${max}${v === undefined ? ' (missing)' : `, got ${show(v)}`}`);
      return fallback ?? min;
    }
    return v;
  };

  const root = object(input, 'scenario', ['$schema', 'name', 'seed', 'durationMs', 'tickMs', 'interfaces', 'connections', 'target', 'policy', 'events']);
  const name = root.name === undefined ? 'unnamed' : typeof root.name === 'string' ? root.name : (fail('name', `must be a string, got ${show(root.name)}`), 'unnamed');
  const seed = int(root.seed, 'seed', 0, 2 ** 32 - 1, 1);
  const durationMs = int(root.durationMs, 'durationMs', 1, 86_400_000);
  const tickMs = int(root.tickMs, 'tickMs', 1, 3_600_000, 100);

  const interfaces: Scenario['interfaces'] = [];
  if (!Array.isArray(root.interfaces) || root.interfaces.length === 0) fail('interfaces', `must be a non-empty array, got ${show(root.interfaces)}`);
  else {
    root.interfaces.forEach((v, i) => {
      const f = `interfaces[${i}]`;
      const o = object(v, f, ['ifIndex', 'neighbors', 'pathsPerNeighbor']);
      const ifIndex = int(o.ifIndex, `${f}.ifIndex`, 0, 2 ** 32 - 1);
      if (interfaces.some((x) => x.ifIndex === ifIndex)) fail(`${f}.ifIndex`, `interface ${ifIndex} is listed twice`);
      interfaces.push({ ifIndex, neighbors: int(o.neighbors, `${f}.neighbors`, 1, 100_000), pathsPerNeighbor: int(o.pathsPerNeighbor, `${f}.pathsPerNeighbor`, 1, 100_000) });
    });
  }

  const c = object(root.connections, 'connections', ['count', 'arrivalMs', 'flowSizes', 'rateBytesPerSecond', 'priorities']);
  let flowSizes: FlowSizes = 'websearch';
  if (c.flowSizes === 'websearch' || c.flowSizes === 'hadoop') flowSizes = c.flowSizes;
  else if (c.flowSizes !== undefined) {
    const o = object(c.flowSizes, 'connections.flowSizes', ['cdf']);
    const cdf = o.cdf;
    if (!Array.isArray(cdf) || cdf.length < 2 || !cdf.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0))) {
      fail('connections.flowSizes', `must be "websearch", "hadoop" or { "cdf": [[bytes, percent], ...] } with at least two points`);
    } else {
      const points = cdf as [number, number][];
      if (points.some((p, i) => i > 0 && (p[0] < points[i - 1]![0] || p[1] < points[i - 1]![1])) || points[points.length - 1]![1] !== 100) {
        fail('connections.flowSizes.cdf', 'sizes and percents must not decrease, and the last percent must be 100');
      }
      flowSizes = { cdf: points };
    }
  }
  const rate = object(c.rateBytesPerSecond ?? { min: 1000, max: 100_000 }, 'connections.rateBytesPerSecond', ['min', 'max']);
  const rateMin = num(rate.min, 'connections.rateBytesPerSecond.min', 1, 1e12);
  const rateMax = num(rate.max, 'connections.rateBytesPerSecond.max', rateMin, 1e12);
  const priorities: Record<string, number> = {};
  const prio = object(c.priorities ?? { 0: 1 }, 'connections.priorities', Array.from({ length: 256 }, (_, i) => String(i)));
  for (const [k, w] of Object.entries(prio)) priorities[k] = num(w, `connections.priorities.${k}`, 0, 1e9);
  if (Object.values(priorities).every((w) => w === 0)) fail('connections.priorities', 'at least one weight must be positive');
  const connections: Scenario['connections'] = {
    count: int(c.count, 'connections.count', 0, 10_000_000),
    arrivalMs: int(c.arrivalMs, 'connections.arrivalMs', 1, durationMs || 1, Math.max(1, Math.floor(durationMs * 0.6))),
    flowSizes,
    rateBytesPerSecond: { min: rateMin, max: rateMax },
    priorities,
  };

  const t = object(root.target, 'target', ['capacity', 'latencyMs', 'faults']);
  let latencyMs: Scenario['target']['latencyMs'] = 0;
  if (typeof t.latencyMs === 'number') latencyMs = num(t.latencyMs, 'target.latencyMs', 0, 3_600_000);
  else if (t.latencyMs !== undefined) {
    const l = object(t.latencyMs, 'target.latencyMs', ['min', 'max']);
    const min = num(l.min, 'target.latencyMs.min', 0, 3_600_000);
    latencyMs = { min, max: num(l.max, 'target.latencyMs.max', min, 3_600_000) };
  }
  const faultsIn = object(t.faults ?? {}, 'target.faults', ['initiateFailure', 'hardwareFailure', 'uploadRequests']);
  const faults: Scenario['target']['faults'] = {};
  for (const k of ['initiateFailure', 'hardwareFailure', 'uploadRequests'] as const) {
    if (faultsIn[k] !== undefined) faults[k] = num(faultsIn[k], `target.faults.${k}`, 0, 1);
  }
  const target: Scenario['target'] = { capacity: int(t.capacity, 'target.capacity', 0, 10_000_000), latencyMs, faults };

  const policy = (root.policy === undefined ? {} : object(root.policy, 'policy', ['lowActivity', 'honorAdvisory', 'mediaDisconnectGraceMs', 'preempt'])) as HostPolicy;
  if (Array.isArray((policy as { honorAdvisory?: unknown }).honorAdvisory)) {
    policy.honorAdvisory = ((policy as { honorAdvisory: unknown[] }).honorAdvisory).map((r, i) => {
      if (typeof r === 'string' && r in UploadReason) return UploadReason[r as keyof typeof UploadReason];
      fail(`policy.honorAdvisory[${i}]`, `must be an UploadReason name such as "LowActivity", got ${show(r)}`);
      return UploadReason.LowActivity;
    });
  }

  const known = new Set(interfaces.map((i) => i.ifIndex));
  const events: ScenarioEvent[] = [];
  if (root.events !== undefined && !Array.isArray(root.events)) fail('events', `must be an array, got ${show(root.events)}`);
  for (const [i, v] of ((root.events as unknown[] | undefined) ?? []).entries()) {
    const f = `events[${i}]`;
    const o = object(v, f, ['atMs', 'type', 'ifIndex', 'count', 'reason', 'priority']);
    const atMs = int(o.atMs, `${f}.atMs`, 0, durationMs);
    const type = o.type as string;
    if (!EVENT_TYPES.includes(type)) {
      fail(`${f}.type`, `must be one of ${EVENT_TYPES.join(', ')}, got ${show(o.type)}`);
      continue;
    }
    const needsIf = type === 'linkDown' || type === 'linkUp' || type === 'invalidateNeighbor' || (type === 'pause' && o.ifIndex !== undefined);
    if (needsIf) {
      const ifIndex = int(o.ifIndex, `${f}.ifIndex`, 0, 2 ** 32 - 1);
      if (!known.has(ifIndex)) fail(`${f}.ifIndex`, `interface ${ifIndex} is not in "interfaces"`);
      events.push({ atMs, type, ifIndex } as ScenarioEvent);
    } else if (type === 'uploadRequests') {
      const reason = o.reason as string;
      if (typeof reason !== 'string' || !(reason in UploadReason)) fail(`${f}.reason`, `must be an UploadReason name such as "HardwareFailure", got ${show(o.reason)}`);
      events.push({ atMs, type, count: int(o.count, `${f}.count`, 1, 10_000_000), reason: reason as keyof typeof UploadReason });
    } else if (type === 'close') {
      events.push({ atMs, type, count: int(o.count, `${f}.count`, 1, 10_000_000) });
    } else if (type === 'burst') {
      events.push({ atMs, type, count: int(o.count, `${f}.count`, 1, 10_000_000), priority: int(o.priority, `${f}.priority`, 0, 255) });
    } else {
      events.push({ atMs, type } as ScenarioEvent);
    }
  }
  events.sort((a, b) => a.atMs - b.atMs);
  if (problems.length) throw new ScenarioError(problems);
  return { name, seed, durationMs, tickMs, interfaces, connections, target, policy, events };
}
