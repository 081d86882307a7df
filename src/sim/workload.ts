// The synthetic workload: a scenario's connections as a WorkloadSource (src/sim/source.ts).
//
// A connection opens at its arrival (a Poisson process over [0, arrivalMs)) or in a `burst` event,
// carries one or more transfers (sizes from the scenario's CDF, each at the connection's rate),
// separated by idle gaps (fixed, exponential or Pareto), stays idle for keepAliveMs after its last
// transfer, and closes. The same seed gives the same arrivals, sizes, gaps and bytes, tick by tick.
//
// Per connection (index = source id, never reused; about 50 bytes each):
//
//   perTick    Float64  bytes it moves in a full tick (its rate x tickMs)
//   left       Uint32   transfers still to start after the current one (0: last)
//   state      Uint8    0 not yet open | 1 transferring | 2 idle | 3 closed
//   wake       Int32    next connection in the same wake-up slot (-1 ends the list)
//   activePos, alivePos  Int32  where it is in the active and alive lists
//
// A transfer moves the same bytes every tick (perTick) but its last, so it is a standing rate
// (TickBatch.rates): one change when it starts, and in its last tick the remaining bytes as a
// one-off traffic entry plus the stop. Its last tick is known when it starts, so a tick touches
// only the transfers that start or end in it, never the ones in between (the reader counts their
// bytes: HostStack.steady, TrafficByTick).
//
//   lastBytes  Float64  by id: bytes of the transfer's last tick (1..perTick)
//   endHead    Int32    by tick: first transfer ending in that tick; endNext (by id) links the rest
//   active     aId Uint32, activePos by id: the transfers under way, a swap-remove list
//
// The active list is kept only for its order: transfers that end in the same tick finish in the
// order a walk over the list would meet them (a finished one leaves as it is passed; the last
// entry takes its place and is met next). That order decides which connection draws which idle
// gap, closes first, and how TrafficByTick lists the tick (the oracle breaks ties by it): it is
// the order of the per-tick loop this workload had before standing rates, so its ticks are the
// same, byte for byte. finish() finds it by sorting the ending transfers' positions, O(e log e)
// for e transfers ending in a tick.
//
// Idle connections wait in a timing wheel: one list head per tick, so a tick touches only the
// connections that transfer or wake in it, never the ones sleeping.

import { seededRandom } from '../util/random.js';
import { dispatchWorkload, isWorkloadEvent, type ScenarioEvent, type WorkloadControl } from './events.js';
import type { Scenario } from './scenario.js';
import type { TickBatch, WorkloadSource } from './source.js';
import { sampleCdf } from './cdf.js';
import { roomForRates, roomForTraffic, roomToClose, roomToOpen, resetTickBatch } from './tick-batch.js';
import { grown } from '../util/grown.js';

const NOT_OPEN = 0;
const TRANSFERRING = 1;
const IDLE = 2;
const CLOSED = 3;

/** Connections a scenario opens in all: its arrivals and every burst. */
export function totalConnections(s: Scenario): number {
  return s.connections.count + s.events.reduce((n, e) => n + (e.type === 'burst' ? e.count : 0), 0);
}

export class SyntheticWorkload implements WorkloadSource {
  readonly tickMs: number;
  readonly ticks: number;
  readonly name: string;
  /** Connections this workload opens in all. */
  readonly total: number;

  private readonly random: () => number;
  private readonly arrivals: Float64Array;
  private arrived = 0;
  private opened = 0;
  private readonly events: ScenarioEvent[];
  private eventAt = 0;
  private expectedTick = 0;

  private readonly perTick: Float64Array;
  private readonly lastBytes: Float64Array;
  private readonly endNext: Int32Array;
  private readonly endHead: Int32Array;
  /** 1 while a transfer is being finished in this tick (finish()). */
  private readonly ending: Uint8Array;
  private positions = new Uint32Array(1024);
  private readonly aId: Uint32Array;
  private tags: Float64Array | undefined;
  private readonly activePos: Int32Array;
  private readonly left: Uint32Array;
  private readonly state: Uint8Array;
  private readonly wakeNext: Int32Array;
  private readonly wakeHead: Int32Array;
  private activeCount = 0;
  private readonly alive: Uint32Array;
  private readonly alivePos: Int32Array;
  private aliveCount = 0;

  private readonly priorityValues: Uint8Array;
  private readonly priorityCumulative: Float64Array;
  private readonly pathStarts: Float64Array;
  private readonly totalPaths: number;
  private readonly sentShare: number;
  private batch!: TickBatch;
  private tick = 0;
  private readonly control: WorkloadControl;

  private readonly cdf: readonly (readonly [number, number])[];

  private readonly injected: ScenarioEvent[] = [];

  /**
   * `namedCdf`: the points of the scenario's named flow sizes ("websearch", "hadoop"); an inline
   * CDF wins. `room`: connections to reserve for workload events pushed while it runs (push()).
   */
  constructor(
    private readonly scenario: Scenario,
    namedCdf: readonly (readonly [number, number])[],
    options: { room?: number } = {},
  ) {
    const sizes = scenario.connections.flowSizes;
    this.cdf = typeof sizes === 'object' ? sizes.cdf : namedCdf;
    this.tickMs = scenario.tickMs;
    this.ticks = Math.ceil(scenario.durationMs / scenario.tickMs);
    this.name = scenario.name;
    this.total = totalConnections(scenario) + (options.room ?? 0);
    this.sentShare = scenario.connections.sentShare;

    // Arrivals from their own stream, so that drawing more per connection never moves them.
    const arrivalRandom = seededRandom(scenario.seed);
    const n = scenario.connections.count;
    this.arrivals = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) this.arrivals[i] = acc += -Math.log(1 - arrivalRandom());
    const scale = scenario.connections.arrivalMs / (acc || 1);
    for (let i = 0; i < n; i++) this.arrivals[i] = this.arrivals[i]! * scale;
    this.random = seededRandom((scenario.seed ^ 0x5bd1e995) >>> 0);

    const total = this.total;
    this.perTick = new Float64Array(total);
    this.aId = new Uint32Array(total);
    this.lastBytes = new Float64Array(total);
    this.endNext = new Int32Array(total);
    this.endHead = new Int32Array(this.ticks + 1).fill(-1);
    this.ending = new Uint8Array(total);
    this.activePos = new Int32Array(total);
    this.left = new Uint32Array(total);
    this.state = new Uint8Array(total);
    this.wakeNext = new Int32Array(total);
    this.wakeHead = new Int32Array(this.ticks + 1).fill(-1);
    this.alive = new Uint32Array(total);
    this.alivePos = new Int32Array(total);

    const prios = Object.entries(scenario.connections.priorities).filter(([, w]) => w > 0);
    if (prios.length === 0) prios.push(['0', 1]);
    this.priorityValues = Uint8Array.from(prios.map(([p]) => Number(p)));
    let sum = 0;
    this.priorityCumulative = Float64Array.from(prios.map(([, w]) => (sum += w)));
    let paths = 0;
    this.pathStarts = Float64Array.from(
      scenario.interfaces.map((f) => {
        const start = paths;
        paths += f.neighbors * f.pathsPerNeighbor;
        return start;
      }),
    );
    this.totalPaths = paths;
    this.events = scenario.events.filter(isWorkloadEvent);
    this.control = { burst: (count, priority) => this.openMany(count, priority), close: (count) => this.closeRandom(count) };
  }

  next(tick: number, batch: TickBatch): boolean {
    if (tick !== this.expectedTick) throw new Error(`the workload is read tick by tick from 0: expected tick ${this.expectedTick}, got ${tick}`);
    if (!batch.rates) throw new Error('SyntheticWorkload: the batch has no rates section (make batches with createTickBatch)');
    this.expectedTick++;
    this.batch = batch;
    this.tick = tick;
    resetTickBatch(batch);
    const end = (tick + 1) * this.tickMs;
    while (this.eventAt < this.events.length && this.events[this.eventAt]!.atMs < end) dispatchWorkload(this.control, this.events[this.eventAt++]!);
    for (const e of this.injected.splice(0)) dispatchWorkload(this.control, e);
    let due = 0;
    while (this.arrived + due < this.arrivals.length && this.arrivals[this.arrived + due]! < end) due++;
    this.arrived += due;
    this.openMany(due, -1);
    this.wakeUp(tick);
    this.finish(tick);
    return tick + 1 < this.ticks;
  }

  /**
   * A workload event (burst, close) that happens at the next tick, whatever its atMs: a live page's
   * buttons. A burst opens at most the `room` reserved at construction.
   */
  push(e: ScenarioEvent): void {
    if (!isWorkloadEvent(e)) throw new Error(`${e.type} is a host event: pass it to runLab's control list`);
    this.injected.push(e);
  }

  private openMany(count: number, priority: number): void {
    count = Math.min(count, this.total - this.opened);
    roomToOpen(this.batch, count);
    for (let k = 0; k < count; k++) this.open(priority < 0 ? this.drawPriority() : priority);
  }

  private open(priority: number): void {
    const id = this.opened++;
    const o = this.batch.opened;
    const i = o.count++;
    o.id[i] = id;
    o.priority[i] = priority;
    // Ports from the connection's number: unique for the run, so keys never collide.
    o.localPort[i] = 1024 + (id % 60000);
    o.remotePort[i] = 443 + Math.floor(id / 60000);
    this.writePath(Math.floor(this.random() * this.totalPaths), i);
    const r = this.scenario.connections.rateBytesPerSecond;
    const rate = r.min + (r.max - r.min) * this.random();
    this.perTick[id] = Math.max(1, Math.ceil((rate * this.tickMs) / 1000));
    const t = this.scenario.connections.transfers;
    this.left[id] = t.min + Math.floor(this.random() * (t.max - t.min + 1)) - 1;
    this.startTransfer(id);
    this.alivePos[id] = this.aliveCount;
    this.alive[this.aliveCount++] = id;
  }

  /** Addresses of path number `g`: interface, neighbor and path within it, in IPv6 (see the README). */
  private writePath(g: number, i: number): void {
    let fi = this.pathStarts.length - 1;
    while (this.pathStarts[fi]! > g) fi--;
    const f = this.scenario.interfaces[fi]!;
    const local = g - this.pathStarts[fi]!;
    const n = Math.floor(local / f.pathsPerNeighbor);
    const p = local - n * f.pathsPerNeighbor;
    const o = this.batch.opened;
    o.ifIndex[i] = f.ifIndex;
    const at = i * 16;
    const hop = o.nextHop,
      src = o.source,
      dst = o.destination;
    // No subarray views: one open is a few dozen byte stores and no allocation.
    hop.fill(0, at, at + 16);
    src.fill(0, at, at + 16);
    dst.fill(0, at, at + 16);
    // nextHop fe80::<fi>:<n hi>:<n lo>
    hop[at] = 0xfe;
    hop[at + 1] = 0x80;
    put16(hop, at + 10, fi);
    put16(hop, at + 12, n >>> 16);
    put16(hop, at + 14, n & 0xffff);
    // source fd00:<fi>::1
    src[at] = 0xfd;
    put16(src, at + 2, fi);
    src[at + 15] = 1;
    // destination fd01:<fi>:<n hi>:<n lo>:<p hi>:<p lo>::1
    dst[at] = 0xfd;
    dst[at + 1] = 0x01;
    put16(dst, at + 2, fi);
    put16(dst, at + 4, n >>> 16);
    put16(dst, at + 6, n & 0xffff);
    put16(dst, at + 8, Math.floor(p / 65536));
    put16(dst, at + 10, p & 0xffff);
    dst[at + 15] = 1;
  }

  private drawPriority(): number {
    const c = this.priorityCumulative;
    const u = this.random() * c[c.length - 1]!;
    let k = 0;
    while (k < c.length - 1 && u >= c[k]!) k++;
    return this.priorityValues[k]!;
  }

  /** Starts a transfer now: its rate from this tick on, its end scheduled. */
  private startTransfer(id: number): void {
    const k = this.activeCount++;
    this.aId[k] = id;
    this.activePos[id] = k;
    this.state[id] = TRANSFERRING;
    const size = sampleCdf(this.cdf, this.random());
    const perTick = this.perTick[id]!;
    // Sizes and perTick are integers below 2^53: the division is exact enough for ceil.
    const ticks = Math.ceil(size / perTick);
    this.lastBytes[id] = size - (ticks - 1) * perTick;
    const end = this.tick + ticks - 1;
    if (end < this.ticks) {
      this.endNext[id] = this.endHead[end]!;
      this.endHead[end] = id;
    }
    const sent = Math.min(perTick, Math.ceil(perTick * this.sentShare));
    this.rate(id, sent, perTick - sent);
  }

  /** Appends a rate change. */
  private rate(id: number, sent: number, received: number): void {
    roomForRates(this.batch, 1);
    const r = this.batch.rates!;
    const i = r.count++;
    r.id[i] = id;
    r.sent[i] = sent;
    r.received[i] = received;
  }

  private idleGapMs(): number {
    const g = this.scenario.connections.idleGapMs;
    const u = this.random();
    if (g.distribution === 'fixed') return g.ms;
    if (g.distribution === 'exponential') return -g.meanMs * Math.log(1 - u);
    return g.minMs / (1 - u) ** (1 / g.alpha);
  }

  /** Wakes `id` after `ms` (at least the next tick); past the run's end it stays idle. */
  private sleep(id: number, ms: number): void {
    this.state[id] = IDLE;
    const at = this.tick + Math.max(1, Math.ceil(ms / this.tickMs));
    if (at >= this.ticks) return;
    this.wakeNext[id] = this.wakeHead[at]!;
    this.wakeHead[at] = id;
  }

  private wakeUp(tick: number): void {
    for (let id = this.wakeHead[tick]!; id >= 0; id = this.wakeNext[id]!) {
      if (this.state[id] !== IDLE) continue;
      if (this.left[id] === 0)
        this.closeConnection(id); // its keep-alive time is over
      else {
        this.left[id]!--;
        this.startTransfer(id);
      }
    }
    this.wakeHead[tick] = -1;
  }

  /** Finishes the transfers whose last tick this is, in list-walk order (see the top of the file). */
  private finish(tick: number): void {
    let m = 0;
    for (let id = this.endHead[tick]!; id >= 0; id = this.endNext[id]!) {
      if (this.state[id] !== TRANSFERRING) continue; // closed by an event before its end
      if (m === this.positions.length) this.positions = grown(this.positions, m + 1);
      this.positions[m++] = this.activePos[id]!;
      this.ending[id] = 1;
    }
    this.endHead[tick] = -1;
    if (m === 0) return;
    const positions = this.positions.subarray(0, m).sort();
    roomForTraffic(this.batch, m);
    roomForRates(this.batch, m);
    for (let j = 0; j < m; j++) {
      // The walk meets position p; a finished entry's place takes the last entry, met next.
      const p = positions[j]!;
      while (p < this.activeCount && this.ending[this.aId[p]!]) this.finishTransfer(this.aId[p]!, p);
    }
  }

  /** The last tick of the transfer at active position `p`: its last bytes, the stop, then idle or close. */
  private finishTransfer(id: number, p: number): void {
    this.ending[id] = 0;
    const bytes = this.lastBytes[id]!;
    const sent = Math.min(bytes, Math.ceil(bytes * this.sentShare));
    const t = this.batch.traffic;
    const k = t.count++;
    t.id[k] = id;
    t.sent[k] = sent;
    t.received[k] = bytes - sent;
    if (t.tag) t.tag[k] = this.tags ? this.tags[id]! : 0;
    this.rate(id, 0, 0);
    this.removeActive(p);
    this.state[id] = IDLE;
    if (this.left[id]! > 0) this.sleep(id, this.idleGapMs());
    else if (this.scenario.connections.keepAliveMs > 0) this.sleep(id, this.scenario.connections.keepAliveMs);
    else this.closeConnection(id);
  }

  tag(ids: ArrayLike<number>, tags: ArrayLike<number>, count: number): void {
    if (!this.tags) this.tags = new Float64Array(this.total);
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id < this.opened)) throw new RangeError(`workload: tag for connection ${id}, which this workload never opened`);
      const v = tags[i]!;
      this.tags[id] = v;
    }
  }

  /** Takes entry i out of the active list (the last entry moves into its place). */
  private removeActive(i: number): void {
    const last = --this.activeCount;
    if (i !== last) {
      const moved = this.aId[last]!;
      this.aId[i] = moved;
      this.activePos[moved] = i;
    }
  }

  private closeConnection(id: number): void {
    if (this.state[id] === TRANSFERRING) {
      this.removeActive(this.activePos[id]!);
      this.rate(id, 0, 0);
    }
    this.state[id] = CLOSED;
    roomToClose(this.batch, 1);
    this.batch.closed.id[this.batch.closed.count++] = id;
    const pos = this.alivePos[id]!;
    const last = this.alive[--this.aliveCount]!;
    this.alive[pos] = last;
    this.alivePos[last] = pos;
  }

  private closeRandom(count: number): void {
    for (let k = 0; k < count && this.aliveCount > 0; k++) this.closeConnection(this.alive[Math.floor(this.random() * this.aliveCount)]!);
  }
}

function put16(a: Uint8Array, at: number, v: number): void {
  a[at] = v >>> 8;
  a[at + 1] = v & 0xff;
}
