// The host's connection engine at policy-lab scale: a synthetic stream (web-search flow sizes,
// uniform arrivals) driven through HostStack.open/traffic/close/tick, and where the time goes.
//
//   node --import tsx bench/host-lab.ts [--connections 1000000] [--capacity 20000] [--seconds 60]
//        [--tick 100] [--policy eager|threshold|rebalance|./mine.mjs] [--target null|simulated] [--seed 1]
//        [--profile]   (times every table and target call too; slower)
//
// --target null: a target that completes every call on a microtask and keeps two numbers per
// connection, so the figures are the host's own; --target simulated: SimulatedTarget.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  HostStack,
  SimulatedTarget,
  OffloadTable,
  loadPolicy,
  seededRandom,
  type OffloadTarget,
  type TargetEvents,
  type InitiateBlock,
  type TerminateBlock,
  type BlockStatus,
  type TerminateResult,
  type OffloadPolicy,
} from '../src/index.js';
import { HandleIndex } from '../src/target/handle-index.js';
import { sampleCdf } from '../src/sim/cdf.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const CONNECTIONS = Number(arg('connections', '1000000'));
const CAPACITY = Number(arg('capacity', '20000'));
const SECONDS = Number(arg('seconds', '60'));
const TICK = Number(arg('tick', '100'));
const POLICY = arg('policy', 'eager');
const TARGET = arg('target', 'null');
const SEED = Number(arg('seed', '1'));
const PROFILE = args.includes('--profile');

/**
 * Completes on a microtask; hands back state that accounts for every byte (one segment each way).
 * Its per-connection state is typed-array rows found by HandleIndex, so its share stays small.
 */
class NullTarget implements OffloadTarget {
  capacity = CAPACITY;
  private readonly rows = new HandleIndex();
  private free: number[] = [];
  private una = new Float64Array(CAPACITY * 2);
  private rcv = new Float64Array(CAPACITY * 2);
  private sent = new Float64Array(CAPACITY * 2);
  private received = new Float64Array(CAPACITY * 2);
  private next = 0;
  attach(_events: TargetEvents): void {}
  initiate(blocks: InitiateBlock[]): Promise<BlockStatus[]> {
    const out = blocks.map((b) => {
      if (b.kind === 3) {
        const row = this.free.pop() ?? this.next++;
        if (row >= this.una.length)
          for (const k of ['una', 'rcv', 'sent', 'received'] as const) {
            const a = new Float64Array(row * 2);
            a.set(this[k]);
            this[k] = a;
          }
        this.rows.set(b.handle, row);
        this.una[row] = b.tcp.sndUna;
        this.rcv[row] = b.tcp.rcvNxt;
        this.sent[row] = 0;
        this.received[row] = 0;
      }
      return { handle: b.handle, ok: true };
    });
    return Promise.resolve(out);
  }
  terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]> {
    return Promise.resolve(
      blocks.map((b) => {
        const row = this.rows.get(b.handle);
        if (row < 0) return { handle: b.handle, ok: true };
        this.rows.delete(b.handle);
        this.free.push(row);
        const una = this.una[row]! + this.sent[row]!;
        const rcv = this.rcv[row]!;
        const received = this.received[row]!;
        return {
          handle: b.handle,
          ok: true,
          delegated: {
            sndUna: una,
            sndNxt: una,
            rcvNxt: rcv + received,
            sndWnd: 65535,
            cWnd: 14600,
            ssThresh: 65535,
            sRtt: 0,
            rttVar: 0,
            timers: { retransmit: null, keepalive: null, delayedAck: null },
          },
          received: received ? [{ seq: rcv, length: received }] : [],
          unacknowledged: [],
        };
      }),
    );
  }
  update() {
    return Promise.resolve([]);
  }
  query() {
    return Promise.resolve([]);
  }
  invalidate() {
    return Promise.resolve([]);
  }
  trafficBatch(handles: ArrayLike<number>, sent: ArrayLike<number>, received?: ArrayLike<number>): void {
    for (let i = 0; i < handles.length; i++) {
      const row = this.rows.get(handles[i]!);
      if (row >= 0) {
        this.sent[row]! += sent[i]!;
        this.received[row]! += received?.[i] ?? 0;
      }
    }
  }
}

/** Adds each method's time and calls to `stats` (and per method to `stats.by`). */
function instrument(object: object, stats: { ms: number; calls: number; by?: Map<string, { ms: number; calls: number }> }, names?: string[]): void {
  const proto = Object.getPrototypeOf(object) as Record<string, unknown>;
  const by = (stats.by ??= new Map());
  for (const name of names ?? Object.getOwnPropertyNames(proto)) {
    const f = proto[name] ?? (object as Record<string, unknown>)[name];
    if (name === 'constructor' || typeof f !== 'function') continue;
    const mine = { ms: 0, calls: 0 };
    by.set(name, mine);
    (object as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      try {
        return (f as (...x: unknown[]) => unknown).apply(this, a);
      } finally {
        const ms = performance.now() - t0;
        stats.ms += ms;
        stats.calls++;
        mine.ms += ms;
        mine.calls++;
      }
    };
  }
}

/** The busiest methods of an instrumented object, for --profile. */
function busiest(stats: { by?: Map<string, { ms: number; calls: number }> }): string {
  return [...(stats.by ?? [])]
    .filter(([, s]) => s.calls)
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 6)
    .map(([name, s]) => `${name} ${s.ms.toFixed(0)} ms / ${s.calls.toLocaleString()}`)
    .join(', ');
}

async function main(): Promise<void> {
  const cdf = readFileSync(new URL('../scenarios/websearch.cdf', import.meta.url), 'utf8')
    .trim()
    .split(/\n/)
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const random = seededRandom(SEED);
  const ticks = Math.round((SECONDS * 1000) / TICK);
  // The workload, generated up front (not timed): arrival tick, size, rate; ids dense.
  const tWork = performance.now();
  const arrival = new Uint32Array(CONNECTIONS);
  const remaining = new Float64Array(CONNECTIONS);
  const perTick = new Float64Array(CONNECTIONS);
  let totalBytes = 0;
  for (let i = 0; i < CONNECTIONS; i++) {
    arrival[i] = Math.floor((i / CONNECTIONS) * ticks * 0.8);
    remaining[i] = sampleCdf(cdf, random());
    totalBytes += remaining[i]!;
    perTick[i] = Math.ceil(((20_000 + random() * 1_980_000) * TICK) / 1000);
  }
  const workMs = performance.now() - tWork;

  const table = await OffloadTable.create();
  const target: OffloadTarget =
    TARGET === 'simulated' ? new SimulatedTarget({ capacity: CAPACITY, latencyMs: { min: 1, max: 20 }, seed: SEED }) : new NullTarget();
  const inner = POLICY.startsWith('.') || POLICY.startsWith('/') ? await loadPolicy(POLICY) : await loadPolicy(POLICY);
  const policyStats = { ms: 0, calls: 0 };
  const policy: OffloadPolicy = {
    name: inner.name,
    tick(ctx) {
      const t0 = performance.now();
      try {
        return inner.tick(ctx);
      } finally {
        policyStats.ms += performance.now() - t0;
        policyStats.calls++;
      }
    },
  };
  const host = await HostStack.create({ target, table, policy: { offload: policy, lowActivity: false } });
  const core: { ms: number; calls: number; by?: Map<string, { ms: number; calls: number }> } = { ms: 0, calls: 0 };
  const tgt: typeof core = { ms: 0, calls: 0 };
  // Timing every call costs time itself: --profile only.
  if (PROFILE) {
    instrument(table, core);
    instrument(target, tgt, ['initiate', 'terminate', 'traffic', 'trafficBatch', 'advance']);
  }
  const errors: string[] = [];
  host.on('error', (e) => {
    if (errors.length < 5) errors.push(e.message);
  });

  // Opened columns: 100 neighbors x 250 paths; ports unique per connection.
  const cap = 8192;
  const opened = {
    count: 0,
    id: new Uint32Array(cap),
    ifIndex: new Uint32Array(cap),
    nextHop: new Uint8Array(16 * cap),
    source: new Uint8Array(16 * cap),
    destination: new Uint8Array(16 * cap),
    localPort: new Uint16Array(cap),
    remotePort: new Uint16Array(cap),
    priority: new Uint8Array(cap),
  };
  const hostId = new Float64Array(CONNECTIONS);
  const alive = new Uint32Array(CONNECTIONS);
  let aliveCount = 0;
  let next = 0;
  const ids = new Float64Array(CONNECTIONS);
  const sent = new Float64Array(CONNECTIONS);
  const received = new Float64Array(CONNECTIONS);
  const closing = new Float64Array(CONNECTIONS);
  const time = { open: 0, traffic: 0, close: 0, tick: 0, settle: 0, workload: 0 };
  let passed = 0;
  let entries = 0;
  const t0 = performance.now();
  let lastProgress = t0;
  for (let t = 1; t <= ticks; t++) {
    let w = performance.now();
    opened.count = 0;
    while (next < CONNECTIONS && arrival[next]! < t && opened.count < cap) {
      const i = opened.count++;
      const path = next % 25_000;
      const neighbor = path % 100;
      opened.ifIndex[i] = 1 + (neighbor % 3);
      opened.nextHop.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 0, neighbor], 16 * i);
      opened.source.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 2, 0, 1], 16 * i);
      opened.destination.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 172, 16, path >> 8, path & 255], 16 * i);
      opened.localPort[i] = 1024 + Math.floor(next / 25_000);
      opened.remotePort[i] = 443;
      opened.priority[i] = next % 10 === 0 ? 5 : 0;
      opened.id[i] = next++;
    }
    time.workload += performance.now() - w;
    let s = performance.now();
    const newIds = host.open(opened);
    time.open += performance.now() - s;
    w = performance.now();
    for (let i = 0; i < newIds.length; i++) {
      const id = opened.id[i]!;
      hostId[id] = newIds[i]!;
      alive[aliveCount++] = id;
    }
    let n = 0;
    let closed = 0;
    for (let i = 0; i < aliveCount; i++) {
      const id = alive[i]!;
      const bytes = Math.min(remaining[id]!, perTick[id]!);
      remaining[id]! -= bytes;
      ids[n] = hostId[id]!;
      sent[n] = Math.floor(bytes / 10);
      received[n] = bytes - sent[n]!;
      passed += bytes;
      n++;
      if (remaining[id] === 0 || t === ticks) {
        closing[closed++] = hostId[id]!;
        alive[i--] = alive[--aliveCount]!;
      }
    }
    time.workload += performance.now() - w;
    s = performance.now();
    host.traffic(ids, sent, received, n);
    entries += n;
    time.traffic += performance.now() - s;
    s = performance.now();
    host.close(closing, closed);
    time.close += performance.now() - s;
    s = performance.now();
    host.tick(t * TICK);
    time.tick += performance.now() - s;
    s = performance.now();
    await host.settle();
    time.settle += performance.now() - s;
    if (process.stderr.isTTY && performance.now() - lastProgress > 250) {
      lastProgress = performance.now();
      process.stderr.write(`\r  tick ${t}/${ticks}, ${next.toLocaleString()} opened, ${aliveCount.toLocaleString()} alive   `);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const wall = performance.now() - t0;
  const m = host.metrics();
  const hostMs = time.open + time.traffic + time.close + time.tick + time.settle - core.ms - tgt.ms - policyStats.ms;
  const row = (what: string, ms: number) => `| ${what.padEnd(44)} | ${ms.toFixed(0).padStart(7)} | ${((100 * ms) / wall).toFixed(1).padStart(5)}% |`;
  console.log(
    `host-lab: ${CONNECTIONS.toLocaleString()} connections, ${SECONDS} s at ${TICK} ms ticks, capacity ${CAPACITY.toLocaleString()}, policy ${policy.name}, target ${TARGET}`,
  );
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, node ${process.version}`);
  console.log(
    `wall ${(wall / 1000).toFixed(2)} s: ${Math.round(CONNECTIONS / (wall / 1000)).toLocaleString()} connections/s (workload generation ${workMs.toFixed(0)} ms, untimed); ${entries.toLocaleString()} traffic entries`,
  );
  console.log('| where | ms | share |\n| --- | ---: | ---: |');
  console.log(row('open', time.open));
  console.log(row('traffic', time.traffic));
  console.log(row('close', time.close));
  console.log(row('tick (target advance, rates, policy, carry out)', time.tick));
  console.log(row('settle (completions applied)', time.settle));
  if (PROFILE) console.log(row(`  of which the table (Wasm core, ${core.calls.toLocaleString()} calls)`, core.ms));
  if (PROFILE) console.log(row(`  of which the target (${tgt.calls.toLocaleString()} calls)`, tgt.ms));
  console.log(row(`  of which the policy (${policyStats.calls} ticks)`, policyStats.ms));
  if (PROFILE) console.log(row('  the host engine itself (the rest)', hostMs));
  console.log(row('the benchmark workload loop', time.workload));
  console.log(
    `offload ratio ${(m.offloadedBytes / (m.offloadedBytes + m.softwareBytes)).toFixed(3)}, initiates ${m.initiates.toLocaleString()}, terminations ${m.terminations.toLocaleString()}, wasted ${m.wastedOffloads.toLocaleString()}, time to offload p50 ${m.timeToOffloadMs.p50} ms p99 ${m.timeToOffloadMs.p99} ms, peak ${m.peakOccupied.toLocaleString()}`,
  );
  console.log(
    `conservation: ${m.offloadedBytes + m.softwareBytes === passed ? 'ok' : `BROKEN (${m.offloadedBytes + m.softwareBytes} vs ${passed})`} (${passed.toLocaleString()} of the workload's ${totalBytes.toLocaleString()} bytes moved in the run); nothing lost: ${m.nothingLost.failures === 0 ? `ok (${m.nothingLost.checked.toLocaleString()} checked)` : m.nothingLost.firstFailures[0]}`,
  );
  if (PROFILE) console.log(`table: ${busiest(core)}\ntarget: ${busiest(tgt)}`);
  if (errors.length) console.log('errors:', errors);
}

await main();
