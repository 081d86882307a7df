// What the host knows about a run of its connections (open/traffic/close): bytes each way of the
// offload, initiates and terminations, wasted offloads, time to offload, capacity use and the
// nothing-lost check. Counters only; HostStack's connection engine feeds them.

import { Kind, Reason } from '../table/enums.js';

/** How many failure messages nothing-lost keeps (the count is exact). */
const KEEP_FAILURES = 10;

export interface HostMetrics {
  /** Bytes passed to traffic() while the connection was Offloaded. */
  offloadedBytes: number;
  /** Bytes passed to traffic() while it was anywhere else (software, Offloading, Terminating). */
  softwareBytes: number;
  /** Connections handed to the target to offload (initiate blocks). */
  initiates: number;
  /** Of those, the ones the target failed (the connection stayed in software). */
  initiateFailures: number;
  /** Connections terminated (completed), all reasons. */
  terminations: number;
  /** Connections terminated, by reason name ('Application', 'HigherPriority', ...; 'reason 70' for your own). */
  terminationsByReason: Record<string, number>;
  /** Objects terminated, by kind name: Neighbor, Path, Connection. */
  terminationsByKind: Record<string, number>;
  /** Connections terminated having carried fewer than wasteThresholdBytes while offloaded that time. */
  wastedOffloads: number;
  /** From open() to the first completed offload, ms of the host's clock (nearest-rank percentiles). */
  timeToOffloadMs: { p50: number; p99: number; count: number };
  /** Connections on the target now (Offloading, Offloaded, Terminating), and what it holds at most. */
  occupied: number;
  capacity: number;
  peakOccupied: number;
  connectionsOpen: number;
  connectionsOffloaded: number;
  /** Every terminated connection's handed-back state against the bytes the host passed while it was offloaded. */
  nothingLost: { checked: number; failures: number; firstFailures: string[] };
}

export class MetricsCounters {
  offloadedBytes = 0;
  softwareBytes = 0;
  initiates = 0;
  initiateFailures = 0;
  terminations = 0;
  readonly byReason = new Float64Array(256);
  readonly byKind = new Float64Array(4);
  wastedOffloads = 0;
  peakOccupied = 0;
  checked = 0;
  failures = 0;
  readonly firstFailures: string[] = [];
  /**
   * Times to offload as counts per distinct value: exact percentiles, and metrics() stays cheap
   * when called often (times are differences of tick times, so there are few distinct values).
   */
  private readonly offloadTimes = new Map<number, number>();
  private offloadTimeCount = 0;
  /** The distinct times, sorted; undefined once a new one arrives (sorted again at the next snapshot). */
  private sortedTimes: number[] | undefined = [];

  timeToOffload(ms: number): void {
    const n = this.offloadTimes.get(ms);
    if (n === undefined) this.sortedTimes = undefined;
    this.offloadTimes.set(ms, (n ?? 0) + 1);
    this.offloadTimeCount++;
  }

  /** Nearest-rank percentiles of the times to offload. */
  private offloadPercentiles(ps: number[]): number[] {
    const n = this.offloadTimeCount;
    if (n === 0) return ps.map(() => 0);
    const values = (this.sortedTimes ??= [...this.offloadTimes.keys()].sort((a, b) => a - b));
    return ps.map((p) => {
      const rank = Math.min(n, Math.max(1, Math.ceil(p * n)));
      let seen = 0;
      for (const v of values) {
        seen += this.offloadTimes.get(v)!;
        if (seen >= rank) return v;
      }
      return values[values.length - 1]!;
    });
  }

  fail(message: string): void {
    this.failures++;
    if (this.firstFailures.length < KEEP_FAILURES) this.firstFailures.push(message);
  }

  terminated(kind: number, reason: number): void {
    this.byKind[kind & 3]!++;
    if (kind === Kind.Connection) {
      this.terminations++;
      this.byReason[reason & 255]!++;
    }
  }

  snapshot(now: { occupied: number; capacity: number; open: number; offloaded: number }): HostMetrics {
    const byReason: Record<string, number> = {};
    for (let r = 0; r < 256; r++) if (this.byReason[r]) byReason[Reason[r] ?? `reason ${r}`] = this.byReason[r]!;
    const byKind: Record<string, number> = {};
    for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) byKind[Kind[k]] = this.byKind[k]!;
    const [p50, p99] = this.offloadPercentiles([0.5, 0.99]);
    return {
      offloadedBytes: this.offloadedBytes,
      softwareBytes: this.softwareBytes,
      initiates: this.initiates,
      initiateFailures: this.initiateFailures,
      terminations: this.terminations,
      terminationsByReason: byReason,
      terminationsByKind: byKind,
      wastedOffloads: this.wastedOffloads,
      timeToOffloadMs: { p50: p50!, p99: p99!, count: this.offloadTimeCount },
      occupied: now.occupied,
      capacity: now.capacity,
      peakOccupied: Math.max(this.peakOccupied, now.occupied),
      connectionsOpen: now.open,
      connectionsOffloaded: now.offloaded,
      nothingLost: { checked: this.checked, failures: this.failures, firstFailures: [...this.firstFailures] },
    };
  }
}
