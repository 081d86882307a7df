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
// It is pure: a function of the tick batches and the capacities, nothing else, and it sees every
// capacity in one pass, so `compare` computes it once for all capacities.
//
// Per capacity (k): flags[k][id] bit 0 = held before this tick, bit 1 = chosen in this tick;
// held[k] = the ids held (at most capacity). Per tick the work is O(active + capacity) per capacity.

import type { TickBatch, WorkloadSource } from './source.js';
import { createTickBatch } from './tick-batch.js';

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

const PREV = 1;
const NOW = 2;

export class Oracle {
  private readonly caps: number[];
  private flags: Uint8Array[];
  private held: Uint32Array[];
  private spare: Uint32Array[];
  private heldCount: number[];
  private readonly offloaded: number[];
  private readonly initiates: number[];
  private readonly terminations: number[];
  private bytes = new Float64Array(1024);
  private scratch = new Float64Array(1024);
  /** Capacity indexes, largest capacity first; and each one's byte threshold in this tick. */
  private readonly byCapacityDown: number[];
  private readonly thresholds: Float64Array;
  private totalBytes = 0;
  private opened = 0;
  private alive = 0;
  private peakAlive = 0;
  private peakActive = 0;
  private ticks = 0;

  constructor(capacities: readonly number[]) {
    for (const c of capacities) if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`oracle: a capacity must be an integer >= 0, got ${c}`);
    this.caps = [...capacities];
    this.byCapacityDown = this.caps.map((_, k) => k).sort((x, y) => this.caps[y]! - this.caps[x]!);
    this.thresholds = new Float64Array(this.caps.length);
    this.flags = this.caps.map(() => new Uint8Array(1024));
    this.held = this.caps.map((c) => new Uint32Array(Math.min(c, 1024)));
    this.spare = this.caps.map((c) => new Uint32Array(Math.min(c, 1024)));
    this.heldCount = this.caps.map(() => 0);
    this.offloaded = this.caps.map(() => 0);
    this.initiates = this.caps.map(() => 0);
    this.terminations = this.caps.map(() => 0);
  }

  /** Takes one tick of the workload. */
  observe(batch: TickBatch): void {
    this.ticks++;
    const { opened, traffic, closed } = batch;
    this.opened += opened.count;
    this.alive += opened.count;
    if (this.alive > this.peakAlive) this.peakAlive = this.alive;
    const a = traffic.count;
    if (a > this.peakActive) this.peakActive = a;
    if (this.bytes.length < a) {
      this.bytes = new Float64Array(a * 2);
      this.scratch = new Float64Array(a * 2);
    }
    let maxId = 0;
    for (let i = 0; i < a; i++) {
      const b = traffic.sent[i]! + traffic.received[i]!;
      this.bytes[i] = b;
      this.totalBytes += b;
      if (traffic.id[i]! > maxId) maxId = traffic.id[i]!;
    }
    for (let i = 0; i < closed.count; i++) if (closed.id[i]! > maxId) maxId = closed.id[i]!;
    // Thresholds, largest capacity first: after selecting the c-th largest, the first c entries of
    // the scratch copy are the c largest, so a smaller capacity searches only those.
    let n = a;
    if (this.byCapacityDown.some((k) => this.caps[k]! < a)) this.scratch.set(this.bytes.subarray(0, a));
    for (const k of this.byCapacityDown) {
      const c = this.caps[k]!;
      if (c > 0 && c < a) {
        this.thresholds[k] = kthLargest(this.scratch, n, c);
        n = c;
      }
    }
    for (let k = 0; k < this.caps.length; k++) {
      if (this.flags[k]!.length <= maxId) {
        const f = new Uint8Array(Math.max(maxId + 1, this.flags[k]!.length * 2));
        f.set(this.flags[k]!);
        this.flags[k] = f;
      }
      this.choose(k, batch);
    }
    this.alive -= closed.count;
  }

  private choose(k: number, batch: TickBatch): void {
    const c = this.caps[k]!;
    if (c === 0) return;
    const flags = this.flags[k]!;
    const { traffic, closed } = batch;
    const a = traffic.count;
    const ids = traffic.id;
    const tb = this.bytes;
    let chosen = 0;
    let bytes = 0;
    if (c >= a) {
      for (let i = 0; i < a; i++) {
        flags[ids[i]!]! |= NOW;
        bytes += tb[i]!;
      }
      chosen = a;
    } else {
      const t = this.thresholds[k]!;
      let ties = 0;
      for (let i = 0; i < a; i++) {
        const b = tb[i]!;
        if (b > t) {
          flags[ids[i]!]! |= NOW;
          bytes += b;
          chosen++;
        } else if (b === t) ties++;
      }
      // Ties at the threshold: connections already held first, then in batch order.
      if (ties === c - chosen) {
        for (let i = 0; i < a; i++) if (tb[i] === t) flags[ids[i]!]! |= NOW;
        chosen = c;
        bytes += ties * t;
      } else {
        for (let i = 0; i < a && chosen < c; i++) {
          if (tb[i] === t && flags[ids[i]!]! === PREV) {
            flags[ids[i]!] = PREV | NOW;
            bytes += t;
            chosen++;
          }
        }
        for (let i = 0; i < a && chosen < c; i++) {
          if (tb[i] === t && !(flags[ids[i]!]! & NOW)) {
            flags[ids[i]!]! |= NOW;
            bytes += t;
            chosen++;
          }
        }
      }
    }
    this.offloaded[k]! += bytes;
    // Held connections that moved nothing keep their slots while there is room.
    const held = this.held[k]!;
    const heldCount = this.heldCount[k]!;
    for (let j = 0; j < heldCount && chosen < c; j++) {
      const id = held[j]!;
      if (flags[id] === PREV) {
        flags[id] = PREV | NOW;
        chosen++;
      }
    }
    // Churn, and the new held list.
    let terminations = 0;
    for (let j = 0; j < heldCount; j++) {
      const id = held[j]!;
      if (flags[id] === PREV) {
        terminations++;
        flags[id] = 0;
      }
    }
    // The new list goes to the spare buffer (the old one is still being read), then they swap.
    let next = this.spare[k]!;
    if (next.length < chosen) next = new Uint32Array(Math.min(c, Math.max(chosen, next.length * 2)));
    let n = 0;
    let initiates = 0;
    // Every chosen connection is either active (in the batch) or was held: visit both, once each.
    for (let i = 0; i < a; i++) {
      const id = ids[i]!;
      const f = flags[id]!;
      if (f & NOW) {
        if (!(f & PREV)) initiates++;
        flags[id] = PREV;
        next[n++] = id;
      }
    }
    for (let j = 0; j < heldCount; j++) {
      const id = held[j]!;
      if (flags[id] === (PREV | NOW)) {
        flags[id] = PREV;
        next[n++] = id;
      }
    }
    // A held connection that closes is terminated, and leaves the list.
    for (let i = 0; i < closed.count; i++) {
      const id = closed.id[i]!;
      if (flags[id] === PREV) {
        flags[id] = 0;
        terminations++;
      }
    }
    let m = 0;
    for (let j = 0; j < n; j++) if (flags[next[j]!] === PREV) next[m++] = next[j]!;
    this.spare[k] = held;
    this.held[k] = next;
    this.heldCount[k] = m;
    this.initiates[k]! += initiates;
    this.terminations[k]! += terminations;
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

/**
 * The k-th largest of a[0..n) (1 <= k <= n), reordering a. Quickselect with a three-way partition,
 * so runs of equal values (many flows at one rate) cost no more than distinct ones.
 */
export function kthLargest(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  let want = k - 1; // index in descending order
  for (;;) {
    if (lo === hi) return a[lo]!;
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot.
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    // Descending: [lo, lt) > pivot, [lt, i) == pivot, (gt, hi] < pivot.
    let lt = lo,
      i = lo,
      gt = hi;
    while (i <= gt) {
      const v = a[i]!;
      if (v > pivot) {
        a[i] = a[lt]!;
        a[lt++] = v;
        i++;
      } else if (v < pivot) {
        a[i] = a[gt]!;
        a[gt--] = v;
      } else i++;
    }
    const at = lo + want;
    if (at < lt) {
      hi = lt - 1;
    } else if (at <= gt) return pivot;
    else {
      want = at - (gt + 1);
      lo = gt + 1;
      continue;
    }
    want = at - lo;
  }
}
