// The oracle: an upper bound on the bytes any policy can offload, for a workload and a capacity.
//
// At every tick it holds the `capacity` connections that move the most bytes in that tick, with
// free, instant installs, and ignores link, pause and target events. A real policy offloads at
// most `capacity` connections during a tick, so its offloaded bytes in that tick are at most the
// oracle's; summed over ticks, the oracle's offloaded bytes bound every policy's, grow with
// capacity, and equal all bytes once capacity reaches the connections active in the busiest tick.
//
// Its churn is that of this greedy choice (not a churn-minimal schedule): ties are broken in favour
// of connections it already holds, and a connection it holds that moves nothing keeps its slot
// while nobody needs it. A held connection that closes counts as a termination, as for a policy.
//
// "Batch order" below is the order of TrafficByTick's list of the tick (src/sim/standing.ts): the
// batch's one-off entries and its standing rates, connection by connection.
//
// It is pure: a function of the tick batches and the capacities, nothing else, and it sees every
// capacity in one pass, so `compare` computes it once for all capacities.
//
// Per capacity (k): chosenAt[k][id] is the number of the last tick that chose connection `id`
// (tick numbers start at 2; 0: never, or closed since). "Held before this tick" is chosenAt = the
// previous tick's number, so nothing is cleared when a connection stops being held. held[k] lists
// the ids chosen in the previous tick, in the order that decides which idle ones keep a slot:
// chosen active connections in batch order, then idle ones kept, in the old order (ids that closed
// since may linger in it; their chosenAt says they are not held). A termination for want of room is
// counted as (held before) - (held and chosen again), so a tick with more active connections than
// capacity reads chosenAt only for the connections it chooses and the ones that close: the work is
// a few sequential passes over the tick's bytes (src/sim/top-select.ts) and O(chosen + closed)
// random reads.

import type { TickBatch, WorkloadSource } from './source.js';
import { createTickBatch } from './tick-batch.js';
import { TopSelector } from './top-select.js';
import { TrafficByTick, type TickTraffic } from './standing.js';

export interface OracleResult {
  capacity: number;
  offloadedBytes: number;
  offloadRatio: number;
  initiates: number;
  terminations: number;
  churnPerSecond: number;
}

export interface OracleSummary {
  /** Bytes the workload moved (both ways). */
  totalBytes: number;
  /** Connections opened. */
  connections: number;
  /** Most connections alive at once (after a tick's opens, before its closes). */
  peakAlive: number;
  /** Most connections moving bytes in one tick. */
  peakActive: number;
  ticks: number;
  durationMs: number;
  results: OracleResult[];
}

export class Oracle {
  private readonly caps: number[];
  private chosenAt: Uint32Array[];
  private held: Uint32Array[];
  private spare: Uint32Array[];
  private heldCount: number[];
  /** Connections held after the previous tick (held[k] may also list some that closed). */
  private holding: number[];
  private readonly offloaded: number[];
  private readonly initiates: number[];
  private readonly terminations: number[];
  private readonly select = new TopSelector();
  private readonly perTick = new TrafficByTick();
  private totalBytes = 0;
  private opened = 0;
  private alive = 0;
  private peakAlive = 0;
  private peakActive = 0;
  private ticks = 0;

  constructor(capacities: readonly number[]) {
    for (const c of capacities) if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`oracle: a capacity must be an integer >= 0, got ${c}`);
    this.caps = [...capacities];
    this.chosenAt = this.caps.map(() => new Uint32Array(1024));
    this.held = this.caps.map((c) => new Uint32Array(Math.min(c, 1024)));
    this.spare = this.caps.map((c) => new Uint32Array(Math.min(c, 1024)));
    this.heldCount = this.caps.map(() => 0);
    this.holding = this.caps.map(() => 0);
    this.offloaded = this.caps.map(() => 0);
    this.initiates = this.caps.map(() => 0);
    this.terminations = this.caps.map(() => 0);
  }

  /** Takes one tick of the workload (its one-off traffic and standing rates: TrafficByTick). */
  observe(batch: TickBatch): void {
    if (this.ticks >= 0xfffffffe) throw new RangeError('oracle: a workload of more than 4,294,967,293 ticks is more than the oracle counts');
    this.ticks++;
    const { opened, closed } = batch;
    const traffic = this.perTick.read(batch);
    this.opened += opened.count;
    this.alive += opened.count;
    if (this.alive > this.peakAlive) this.peakAlive = this.alive;
    const a = traffic.count;
    if (a > this.peakActive) this.peakActive = a;
    this.totalBytes += traffic.total;
    // Every id of the tick (traffic and closed) is below TrafficByTick's bound.
    const maxId = this.perTick.idBound - 1;
    this.select.select(traffic.bytes, a, this.caps);
    for (let k = 0; k < this.caps.length; k++) {
      if (this.chosenAt[k]!.length <= maxId) {
        const f = new Uint32Array(Math.max(maxId + 1, this.chosenAt[k]!.length * 2));
        f.set(this.chosenAt[k]!);
        this.chosenAt[k] = f;
      }
      this.choose(k, traffic, closed);
    }
    this.alive -= closed.count;
  }

  /** Capacity number k's choice in this tick. */
  private choose(k: number, traffic: TickTraffic, closed: TickBatch['closed']): void {
    const c = this.caps[k]!;
    if (c === 0) return;
    // Tick numbers from 2, so that "chosen in the previous tick" (>= 1) is never 0 ("never").
    const now = this.ticks + 1;
    const before = now - 1;
    const at = this.chosenAt[k]!;
    const a = traffic.count;
    const ids = traffic.id;
    const tb = traffic.bytes;
    const held = this.held[k]!;
    const heldCount = this.heldCount[k]!;
    // The new list goes to the spare buffer (the old one is still being read), then they swap.
    let next = this.spare[k]!;
    if (next.length < Math.min(c, a + heldCount)) next = new Uint32Array(Math.min(c, Math.max(a + heldCount, next.length * 2)));
    let n = 0;
    let chosen = 0;
    let kept = 0; // held before and chosen again
    let bytes = 0;
    const t = this.select.threshold[k]!;
    // Which active connections are chosen: all of them (capacity >= active), or those above the
    // threshold and ties at it: connections already held first, then in batch order.
    if (c >= a || this.select.greater[k]! + this.select.ties[k]! === c) {
      // Every value at or above the threshold is chosen: one pass in batch order builds the list.
      // Branch-free: which entries go is a coin toss to the CPU's predictor, and a mispredicted
      // branch would throw away the chosenAt reads already under way (each one a cache miss).
      if (c >= a) {
        for (let i = 0; i < a; i++) next[i] = ids[i]!;
        n = a;
      } else {
        for (let i = 0; i < a; i++) {
          next[n] = ids[i]!;
          n += +(tb[i]! >= t);
        }
      }
      for (let j = 0; j < n; j++) {
        const id = next[j]!;
        kept += +(at[id] === before);
        at[id] = now;
      }
      if (c >= a) for (let i = 0; i < a; i++) bytes += tb[i]!;
      else for (let i = 0; i < a; i++) bytes += tb[i]! >= t ? tb[i]! : 0;
      chosen = n;
    } else {
      for (let i = 0; i < a; i++) {
        const b = tb[i]!;
        if (b > t) {
          const id = ids[i]!;
          if (at[id] === before) kept++;
          at[id] = now;
          bytes += b;
          chosen++;
        }
      }
      for (let i = 0; i < a && chosen < c; i++) {
        const id = ids[i]!;
        if (tb[i] === t && at[id] === before) {
          at[id] = now;
          kept++;
          bytes += t;
          chosen++;
        }
      }
      for (let i = 0; i < a && chosen < c; i++) {
        const id = ids[i]!;
        if (tb[i] === t && at[id] !== now) {
          at[id] = now;
          bytes += t;
          chosen++;
        }
      }
      for (let i = 0; i < a; i++) if (at[ids[i]!] === now) next[n++] = ids[i]!;
    }
    this.offloaded[k]! += bytes;
    const initiates = chosen - kept;
    // Held connections not chosen (idle ones, or active below the threshold) keep their slots, in
    // the old order, while there is room; the others are terminated. With no room, none is kept.
    let terminations = 0;
    const notChosen = this.holding[k]! - kept;
    if (chosen < c && notChosen > 0) {
      for (let j = 0; j < heldCount; j++) {
        const id = held[j]!;
        if (at[id] !== before) continue;
        if (chosen < c) {
          at[id] = now;
          next[n++] = id;
          chosen++;
        } else terminations++;
      }
    } else terminations = notChosen;
    // A held connection that closes is terminated (its id may come back as a new connection).
    let leaving = 0;
    for (let i = 0; i < closed.count; i++) {
      const id = closed.id[i]!;
      if (at[id] === now) {
        at[id] = 0;
        leaving++;
      }
    }
    this.spare[k] = held;
    this.held[k] = next;
    this.heldCount[k] = n;
    this.holding[k] = n - leaving;
    this.initiates[k]! += initiates;
    this.terminations[k]! += terminations + leaving;
  }

  /** The bound so far; `durationMs` is the simulated time the ticks covered. */
  summary(durationMs: number): OracleSummary {
    const seconds = durationMs / 1000;
    return {
      totalBytes: this.totalBytes,
      connections: this.opened,
      peakAlive: this.peakAlive,
      peakActive: this.peakActive,
      ticks: this.ticks,
      durationMs,
      results: this.caps.map((capacity, k) => ({
        capacity,
        offloadedBytes: this.offloaded[k]!,
        offloadRatio: ratio(this.offloaded[k]!, this.totalBytes),
        initiates: this.initiates[k]!,
        terminations: this.terminations[k]!,
        churnPerSecond: seconds > 0 ? (this.initiates[k]! + this.terminations[k]!) / seconds : 0,
      })),
    };
  }
}

/** part / whole, 0 when there is no whole. */
export const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

/** Runs a whole workload through the oracle. */
export async function runOracle(source: WorkloadSource, capacities: readonly number[]): Promise<OracleSummary> {
  const oracle = new Oracle(capacities);
  const batch = createTickBatch();
  let tick = 0;
  try {
    for (let more = true; more; tick++) {
      more = await source.next(tick, batch);
      oracle.observe(batch);
    }
  } finally {
    await source.close?.();
  }
  return oracle.summary(tick * source.tickMs);
}
