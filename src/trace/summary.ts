// What a trace contains: `summarizeTrace` replays a TraceWorkload to its end and reports counts,
// bytes each way, connections alive over time and the flow-size distribution. Memory stays
// bounded: the timeline keeps at most MAX_POINTS buckets, halving its resolution when it fills.

import { createTickBatch } from './batch.js';
import type { TraceFormat, TraceWorkload } from './workload.js';

export interface TraceSummary {
  file: string;
  format: TraceFormat;
  /** Records read: packets of every kind (Zeek: log records). */
  packets: number;
  /** TCP packets (Zeek: TCP records). */
  tcpPackets: number;
  /** Bidirectional TCP 5-tuples (a reused 5-tuple after a close counts again). */
  connections: number;
  /** TCP payload both ways, as the IP headers state it, not as captured. */
  payloadBytes: number;
  /** Payload of closed connections by direction: sent by the side that opened each one, and by the other side. */
  bytes: { initiator: number; responder: number };
  /** Last packet's time minus the first's. */
  durationMs: number;
  /** Packets not replayed, by reason. */
  skipped: Record<string, number>;
  warnings: string[];
  /** Connections open over time: `[ms since the first packet, peak count in the interval]`. */
  alive: { peak: number; points: [number, number][] };
  /** The flow-size CDF, `[bytes, percent]`, as in scenarios/*.cdf. */
  flowSizeCdf: [number, number][];
  /** Silent stretches cut out of the replay (ms): see src/trace/workload.ts. */
  cutMs: number;
}

const MAX_POINTS = 512;

export async function summarizeTrace(w: TraceWorkload, onTick?: (tick: number) => void): Promise<TraceSummary> {
  const batch = createTickBatch();
  // Bucketed timeline: bucket i covers ticks [i * per, (i + 1) * per) and keeps the peak.
  let per = 1;
  const peaks = new Float64Array(MAX_POINTS);
  const times = new Float64Array(MAX_POINTS);
  let buckets = 0;
  let peak = 0;
  let start = NaN;
  try {
    for (let tick = 0; ; tick++) {
      const more = await w.next(tick, batch);
      if (Number.isNaN(start) && Number.isFinite(w.timeMs)) start = w.timeMs - w.tickMs * (tick + 1);
      const alive = w.alive + batch.closed.count; // those closing now were alive during the tick
      if (alive > peak) peak = alive;
      let b = Math.floor(tick / per);
      if (b >= MAX_POINTS) {
        for (let i = 0; i < MAX_POINTS / 2; i++) {
          peaks[i] = Math.max(peaks[2 * i]!, peaks[2 * i + 1]!);
          times[i] = times[2 * i]!;
        }
        peaks.fill(0, MAX_POINTS / 2);
        per *= 2;
        b = Math.floor(tick / per);
        buckets = b;
      }
      if (b >= buckets) {
        buckets = b + 1;
        times[b] = Number.isFinite(w.timeMs) ? w.timeMs - w.tickMs - start : 0;
        peaks[b] = 0;
      }
      if (alive > peaks[b]!) peaks[b] = alive;
      onTick?.(tick);
      if (!more) break;
    }
  } finally {
    w.close();
  }
  const s = w.stats;
  const points: [number, number][] = [];
  for (let i = 0; i < buckets; i++) points.push([Math.round(times[i]!), peaks[i]!]);
  return {
    file: w.name,
    format: w.format,
    packets: s.packets,
    tcpPackets: s.tcpPackets,
    connections: s.connections,
    payloadBytes: s.payloadBytes,
    bytes: { initiator: s.initiatorBytes, responder: s.responderBytes },
    durationMs: s.packets ? Math.round(Math.max(0, s.lastMs - s.firstMs) * 1000) / 1000 : 0,
    skipped: s.skipped(),
    warnings: [...w.warnings],
    alive: { peak, points },
    flowSizeCdf: s.sizes.cdf(),
    cutMs: w.cutMs,
  };
}
