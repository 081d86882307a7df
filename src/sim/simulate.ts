// Runs a scenario through HostStack + SimulatedTarget on a virtual clock, and reports what
// happened: offloads and refusals, terminations by reason and kind over time, occupancy against
// capacity, termination latency, the nothing-lost check on every terminated connection, check(),
// and the time spent in the table. The same scenario and seed give the same result.

import { Kind, Reason, State, UploadReason } from '../enums.js';
import { OffloadTable } from '../table.js';
import { HostStack } from '../host.js';
import { SimulatedTarget } from '../simulated-target.js';
import { seededRandom } from '../random.js';
import { formatAddress, parseAddress } from '../address.js';
import type { Scenario, ScenarioEvent } from './scenario.js';

/** One point of the timeline. */
export interface Sample {
  atMs: number;
  neighbors: number;
  paths: number;
  connections: number;
  /** Terminations (all kinds) since the previous sample, by reason name. */
  terminations: Record<string, number>;
}

export interface SimulationResult {
  scenario: string;
  seed: number;
  durationMs: number;
  capacity: number;
  requested: number;
  offloaded: { neighbors: number; paths: number; connections: number };
  refused: { total: number; why: Record<string, number> };
  terminations: { byReason: Record<string, number>; byKind: Record<string, number> };
  peakConnections: number;
  stillOffloaded: number;
  nothingLost: { checked: number; failures: string[] };
  check: string;
  /** Termination latency: from the terminate call to its completion, ms of simulated time. */
  terminationLatencyMs: { p50: number; p90: number; p99: number; max: number };
  core: { calls: number; ms: number; callsPerSecond: number };
  wallMs: number;
  timeline: Sample[];
  latencies: number[];
}

export interface SimulateOptions {
  /** Flow-size CDF points for the scenario's named distribution ([bytes, percent] pairs). */
  cdf: [number, number][];
  /** Called now and then with the simulated time and counters so far. */
  onProgress?: (p: { atMs: number; connections: number; terminations: number }) => void;
  /** Lets other work run between ticks (default: a macrotask); a live page paces the run here. */
  yieldEvery?: () => Promise<void>;
  /** Called at every timeline sample with the timeline so far, terminations by reason, and termination latencies (unsorted). */
  onSample?: (timeline: readonly Sample[], terminationsByReason: Readonly<Record<string, number>>, latencies: readonly number[]) => void;
  /** Events pushed here (e.g. by buttons on a page) happen at the next tick; their atMs is ignored. */
  control?: ScenarioEvent[];
}

interface Flow {
  remaining: number;
  rate: number;
  sndUna: number;
  rcvNxt: number;
  sent: number;
  received: number;
  delivered: number;
}

/** Draws a flow size from a piecewise-linear CDF of [bytes, percent] points. */
export function sampleCdf(cdf: [number, number][], u: number): number {
  const p = u * 100;
  for (let i = 1; i < cdf.length; i++) {
    const [x1, y1] = cdf[i]!;
    if (p <= y1) {
      const [x0, y0] = cdf[i - 1]!;
      return Math.max(1, Math.round(y1 === y0 ? x1 : x0 + ((x1 - x0) * (p - y0)) / (y1 - y0)));
    }
  }
  return cdf[cdf.length - 1]![0];
}

/** Parses a .cdf file: "<bytes> <percent>" per line. */
export function parseCdf(text: string): [number, number][] {
  return text.trim().split(/\r?\n/).filter((l) => l.trim()).map((line) => {
    const [x, y] = line.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`not a CDF line: ${JSON.stringify(line)}`);
    return [x!, y!];
  });
}

const REASONS = Object.values(Reason).filter((v): v is Reason => typeof v === 'number');
const reasonName = (r: number) => Reason[r] ?? `reason ${r}`;

/** Counts and times every call into the table (the core's share of the run). */
function instrument(table: OffloadTable): { calls: number; ms: number } {
  const stats = { calls: 0, ms: 0 };
  const proto = Object.getPrototypeOf(table) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const f = proto[name];
    if (name === 'constructor' || typeof f !== 'function') continue;
    (table as unknown as Record<string, unknown>)[name] = function (this: OffloadTable, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return (f as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        stats.ms += performance.now() - t0;
        stats.calls++;
      }
    };
  }
  return stats;
}

export async function simulate(scenario: Scenario, options: SimulateOptions): Promise<SimulationResult> {
  const started = performance.now();
  const random = seededRandom(scenario.seed);
  const table = await OffloadTable.create();
  const core = instrument(table);
  let now = 0;
  const target = new SimulatedTarget({ capacity: scenario.target.capacity, latencyMs: scenario.target.latencyMs, seed: scenario.seed + 1, faults: scenario.target.faults });
  const host = await HostStack.create({ target, table, policy: scenario.policy });

  // Endpoints: every path of every neighbor of every interface, addressed in IPv6.
  const paths: { ifIndex: number; nextHop: string; source: string; destination: string }[] = [];
  scenario.interfaces.forEach((f, fi) => {
    for (let n = 0; n < f.neighbors; n++) {
      const nextHop = `fe80::${fi.toString(16)}:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
      for (let p = 0; p < f.pathsPerNeighbor; p++) {
        // Canonical text, as events report keys, so that flows are found again by key.
        const destination = formatAddress(parseAddress(`fd01:${fi.toString(16)}:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}:${(p >>> 16).toString(16)}:${(p & 0xffff).toString(16)}::1`));
        paths.push({ ifIndex: f.ifIndex, nextHop, source: `fd00:${fi.toString(16)}::1`, destination });
      }
    }
  });
  const priorityTable = Object.entries(scenario.connections.priorities).map(([p, w]) => [Number(p), w] as const);
  const weightSum = priorityTable.reduce((s, [, w]) => s + w, 0);
  const drawPriority = () => {
    let u = random() * weightSum;
    for (const [p, w] of priorityTable) if ((u -= w) < 0) return p;
    return priorityTable[priorityTable.length - 1]![0];
  };

  // Arrival times: a Poisson process over [0, arrivalMs), count arrivals.
  const n = scenario.connections.count;
  const arrivals = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) arrivals[i] = acc += -Math.log(1 - random());
  for (let i = 0; i < n; i++) arrivals[i] = (arrivals[i]! / (acc || 1)) * scenario.connections.arrivalMs;

  const flows = new Map<number, Flow>();
  const pendingFlows = new Map<string, Omit<Flow, 'sent' | 'received' | 'delivered'>>();
  const offloaded = { neighbors: 0, paths: 0, connections: 0 };
  const refusedWhy: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const failures: string[] = [];
  let checked = 0;
  let interval: Record<string, number> = {};
  let terminationsTotal = 0;
  let peak = 0;
  let next = 0;

  host.on('offloaded', (e) => {
    if (e.kind === Kind.Neighbor) offloaded.neighbors++;
    else if (e.kind === Kind.Path) offloaded.paths++;
    else {
      offloaded.connections++;
      const key = e.key as { destination: string; localPort: number; remotePort: number };
      const id = `${key.destination}/${key.localPort}/${key.remotePort}`;
      const f = pendingFlows.get(id);
      pendingFlows.delete(id);
      if (f) flows.set(e.handle, { ...f, sent: 0, received: 0, delivered: 0 });
    }
  });
  host.on('refused', (e) => {
    refusedWhy[e.why] = (refusedWhy[e.why] ?? 0) + 1;
    pendingFlows.delete(`${e.request.destination}/${e.request.localPort}/${e.request.remotePort}`);
  });
  host.on('delivered', (e) => {
    const f = flows.get(e.handle);
    if (f) f.delivered += e.bytes;
  });
  host.on('terminated', (e) => {
    const name = reasonName(e.reason);
    byReason[name] = (byReason[name] ?? 0) + 1;
    byKind[Kind[e.kind]] = (byKind[Kind[e.kind]] ?? 0) + 1;
    interval[name] = (interval[name] ?? 0) + 1;
    terminationsTotal++;
    if (e.kind !== Kind.Connection) return;
    const f = flows.get(e.handle);
    flows.delete(e.handle);
    if (!f || !e.delegated) return;
    // Nothing lost: acknowledged + handed back = sent; delivered + handed back = received.
    const d = e.delegated;
    const unacked = (e.unacknowledged ?? []).reduce((s, x) => s + x.length, 0);
    const buffered = (e.received ?? []).reduce((s, x) => s + x.length, 0);
    if (d.sndUna - f.sndUna + unacked !== f.sent) failures.push(`connection ${e.handle}: sent ${f.sent}, acknowledged ${d.sndUna - f.sndUna} + handed back ${unacked}`);
    if (f.delivered + buffered !== f.received) failures.push(`connection ${e.handle}: received ${f.received}, delivered ${f.delivered} + handed back ${buffered}`);
    checked++;
  });

  const offloadOne = (i: number, priority: number) => {
    const path = paths[Math.floor(random() * paths.length)]!;
    const localPort = 1024 + (i % 60000);
    const remotePort = 443 + Math.floor(i / 60000);
    const tcp = { sndUna: Math.floor(random() * 2 ** 31), rcvNxt: Math.floor(random() * 2 ** 31) };
    const r = scenario.connections.rateBytesPerSecond;
    pendingFlows.set(`${path.destination}/${localPort}/${remotePort}`, {
      remaining: sampleCdf(options.cdf, random()), rate: r.min + (r.max - r.min) * random(), sndUna: tcp.sndUna, rcvNxt: tcp.rcvNxt,
    });
    void host.offload({ ...path, localPort, remotePort, priority, tcp }).catch((error) => failures.push(`offload failed: ${String(error)}`));
  };

  const events = [...scenario.events];
  const sampleEvery = Math.max(scenario.tickMs, Math.ceil(scenario.durationMs / 240 / scenario.tickMs) * scenario.tickMs);
  const timeline: Sample[] = [];
  const yieldEvery = options.yieldEvery ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  let arrived = 0;
  let lastProgress = 0;
  const handles: number[] = [];
  const sent: number[] = [];
  const received: number[] = [];

  host.tick(0);
  for (now = scenario.tickMs; now <= scenario.durationMs; now += scenario.tickMs) {
    while (arrived < n && arrivals[arrived]! < now) offloadOne(next++, drawPriority()), arrived++;
    if (options.control?.length) events.unshift(...options.control.splice(0).map((e) => ({ ...e, atMs: now })));
    while (events.length && events[0]!.atMs <= now) {
      const e = events.shift()!;
      switch (e.type) {
        case 'linkDown': target.linkDown(e.ifIndex); break;
        case 'linkUp': target.linkUp(e.ifIndex); break;
        case 'invalidateNeighbor': {
          const live = [...table.neighborsOn(e.ifIndex)].filter((h) => table.state(h) === State.Offloaded && !table.pending(h));
          if (live.length) void host.invalidate(live[Math.floor(random() * live.length)]!);
          break;
        }
        case 'pause': void host.pause(e.ifIndex); break;
        case 'restart': host.restart(); break;
        case 'uploadAll': target.requestUploadAll(); break;
        case 'offloadPause': target.pauseOffload(); break;
        case 'offloadResume': target.resumeOffload(); break;
        case 'powerTransition': void host.powerTransition(); break;
        case 'uploadRequests': {
          const held = [...flows.keys()].filter((h) => table.state(h) === State.Offloaded && !table.pending(h));
          for (let k = 0; k < e.count && held.length; k++) {
            const i = Math.floor(random() * held.length);
            target.requestUpload(held[i]!, UploadReason[e.reason]);
            held.splice(i, 1);
          }
          break;
        }
        case 'burst':
          for (let k = 0; k < e.count; k++) offloadOne(next++, e.priority);
          break;
        case 'close': {
          // The application closes connections: the host terminates them for Reason.Application.
          const held = [...flows.keys()].filter((h) => table.state(h) === State.Offloaded && !table.pending(h));
          const chosen: number[] = [];
          for (let k = 0; k < e.count && held.length; k++) chosen.push(held.splice(Math.floor(random() * held.length), 1)[0]!);
          if (chosen.length) void host.terminate(chosen, Reason.Application);
          break;
        }
      }
    }
    // Traffic: every offloaded flow moves at its rate until it is done, then goes quiet.
    handles.length = sent.length = received.length = 0;
    for (const [h, f] of flows) {
      if (f.remaining <= 0 || table.state(h) !== State.Offloaded || table.pending(h)) continue;
      const bytes = Math.min(f.remaining, Math.ceil((f.rate * scenario.tickMs) / 1000));
      f.remaining -= bytes;
      const out = Math.ceil(bytes / 10);
      handles.push(h);
      sent.push(out);
      received.push(bytes - out);
      f.sent += out;
      f.received += bytes - out;
    }
    if (handles.length) host.recordTrafficBatch(Float64Array.from(handles), Uint32Array.from(sent), Uint32Array.from(received));
    host.tick(now);
    peak = Math.max(peak, table.count(Kind.Connection));
    if (now % sampleEvery === 0) {
      timeline.push({ atMs: now, neighbors: table.count(Kind.Neighbor), paths: table.count(Kind.Path), connections: table.count(Kind.Connection), terminations: interval });
      interval = {};
      options.onSample?.(timeline, byReason, target.terminateLatencies);
    }
    await yieldEvery();
    if (options.onProgress && performance.now() - lastProgress > 200) {
      lastProgress = performance.now();
      options.onProgress({ atMs: now, connections: table.count(Kind.Connection), terminations: terminationsTotal });
    }
  }
  // Let what is in flight land (the clock stays at the end of the run).
  target.flush();
  await host.idle();
  await yieldEvery();

  let check = 'ok';
  try {
    table.check();
  } catch (error) {
    check = String((error as Error).message);
  }
  const sorted = [...target.terminateLatencies].sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
  for (const r of REASONS) byReason[reasonName(r)] ??= 0;
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    durationMs: scenario.durationMs,
    capacity: scenario.target.capacity,
    requested: next,
    offloaded,
    refused: { total: Object.values(refusedWhy).reduce((s, x) => s + x, 0), why: refusedWhy },
    terminations: { byReason, byKind },
    peakConnections: peak,
    stillOffloaded: table.count(Kind.Connection),
    nothingLost: { checked, failures },
    check,
    terminationLatencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0 },
    core: { calls: core.calls, ms: core.ms, callsPerSecond: core.ms ? (core.calls / core.ms) * 1000 : 0 },
    wallMs: performance.now() - started,
    timeline,
    latencies: sorted,
  };
}
