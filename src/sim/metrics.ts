// What a run reports: the host's counters (HostStack.metrics()) turned into the lab's figures
// (offload ratio, oracle ratio, churn per second, conservation) and a timeline sampled about 60
// times a run, so a report can draw capacity use and the offloaded share over time.

import type { HostMetrics } from '../host/metrics.js';
import { ratio } from './oracle.js';

export type { HostMetrics } from '../host/metrics.js';

/** One point of a run's timeline; byte and termination counts are since the previous sample. */
export interface Sample {
  atMs: number;
  /** Connections on the target (Offloading, Offloaded, Terminating). */
  occupied: number;
  /** Connections alive in the host, and how many of them are Offloaded. */
  open: number;
  offloaded: number;
  offloadedBytes: number;
  softwareBytes: number;
  terminations: Record<string, number>;
}

/** One run: a policy at a capacity on a workload. */
/** What a run reports of the oracle at its capacity. */
export interface OracleFigures {
  offloadedBytes: number;
  offloadRatio: number;
  churnPerSecond: number;
}

export interface RunResult {
  policy: string;
  capacity: number;
  offloadedBytes: number;
  softwareBytes: number;
  /** Bytes the workload moved; offloadedBytes + softwareBytes must equal it (conservation). */
  totalBytes: number;
  conserved: boolean;
  offloadRatio: number;
  /** offloadedBytes / the oracle's at this capacity (filled in once the oracle is known). */
  oracleRatio: number;
  initiates: number;
  initiateFailures: number;
  terminations: number;
  terminationsByReason: Record<string, number>;
  terminationsByKind: Record<string, number>;
  /** (initiates + connection terminations) per simulated second. */
  churnPerSecond: number;
  wastedOffloads: number;
  timeToOffloadMs: { p50: number; p99: number; count: number };
  peakOccupied: number;
  /** "ok", or what table.check() said. */
  check: string;
  nothingLost: boolean;
  nothingLostDetail: { checked: number; failures: number; firstFailures: string[] };
  /** Things that went wrong that are not a policy's fault (target errors, a failed event). */
  errors: { count: number; first: string[] };
  connections: number;
  durationMs: number;
  wallMs: number;
  timeline: Sample[];
  /** The oracle at this capacity, when it ran alongside (simulate). */
  oracle?: OracleFigures;
}

/** Samples a run's host metrics into a timeline of about `points` samples. */
export class Timeline {
  readonly samples: Sample[] = [];
  readonly every: number;
  private last: HostMetrics | undefined;

  constructor(ticks: number, points = 60) {
    this.every = Math.max(1, Math.ceil(ticks / points));
  }

  /** Whether tick number `tick` (0-based) ends a sample interval. */
  due(tick: number): boolean {
    return (tick + 1) % this.every === 0;
  }

  add(atMs: number, m: HostMetrics): Sample {
    const prev = this.last;
    const terminations: Record<string, number> = {};
    for (const [k, v] of Object.entries(m.terminationsByReason)) {
      const d = v - (prev?.terminationsByReason[k] ?? 0);
      if (d) terminations[k] = d;
    }
    const s: Sample = {
      atMs,
      occupied: m.occupied,
      open: m.connectionsOpen,
      offloaded: m.connectionsOffloaded,
      offloadedBytes: m.offloadedBytes - (prev?.offloadedBytes ?? 0),
      softwareBytes: m.softwareBytes - (prev?.softwareBytes ?? 0),
      terminations,
    };
    this.samples.push(s);
    this.last = structuredCloneMetrics(m);
    return s;
  }
}

const structuredCloneMetrics = (m: HostMetrics): HostMetrics => ({ ...m, terminationsByReason: { ...m.terminationsByReason } });

/** The lab's figures from the host's final metrics. */
export function summarize(input: {
  policy: string;
  capacity: number;
  metrics: HostMetrics;
  totalBytes: number;
  connections: number;
  durationMs: number;
  check: string;
  errors: { count: number; first: string[] };
  wallMs: number;
  timeline: Sample[];
  oracle?: OracleFigures;
}): RunResult {
  const m = input.metrics;
  const seconds = input.durationMs / 1000;
  const connectionTerminations = m.terminationsByKind.Connection ?? m.terminations;
  return {
    policy: input.policy,
    capacity: input.capacity,
    offloadedBytes: m.offloadedBytes,
    softwareBytes: m.softwareBytes,
    totalBytes: input.totalBytes,
    conserved: m.offloadedBytes + m.softwareBytes === input.totalBytes,
    offloadRatio: ratio(m.offloadedBytes, input.totalBytes),
    oracleRatio: input.oracle === undefined ? Number.NaN : oracleRatio(m.offloadedBytes, input.oracle.offloadedBytes),
    initiates: m.initiates,
    initiateFailures: m.initiateFailures,
    terminations: m.terminations,
    terminationsByReason: m.terminationsByReason,
    terminationsByKind: m.terminationsByKind,
    churnPerSecond: seconds > 0 ? (m.initiates + connectionTerminations) / seconds : 0,
    wastedOffloads: m.wastedOffloads,
    timeToOffloadMs: m.timeToOffloadMs,
    peakOccupied: m.peakOccupied,
    check: input.check,
    nothingLost: m.nothingLost.failures === 0,
    nothingLostDetail: m.nothingLost,
    errors: input.errors,
    connections: input.connections,
    durationMs: input.durationMs,
    wallMs: input.wallMs,
    timeline: input.timeline,
    ...(input.oracle ? { oracle: input.oracle } : {}),
  };
}

/** A policy's bytes as a share of the oracle's; 1 when the oracle itself could offload nothing. */
export const oracleRatio = (offloaded: number, oracle: number): number => (oracle > 0 ? offloaded / oracle : 1);

/** The oracle's figures a RunResult carries, from the oracle's result at the run's capacity. */
export function oracleFigures(o: OracleFigures): OracleFigures {
  return { offloadedBytes: o.offloadedBytes, offloadRatio: o.offloadRatio, churnPerSecond: o.churnPerSecond };
}
