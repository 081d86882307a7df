// Synthetic TCP traffic for captures: `connections` complete connections (handshake, data both
// ways in MSS-sized segments, FIN/FIN/ACK), `concurrency` of them interleaved at a time, response
// sizes drawn from a flow-size CDF (scenarios/*.cdf), requests of 100..2,000 bytes. Deterministic
// for a seed. Used with CaptureWriter by scripts/write-capture.ts and the round-trip test: what
// it reports through `onConnection` is what reading the capture back must find.

import { closeSync, openSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../util/random.js';
import { sampleCdf } from '../sim/cdf.js';
import { CaptureWriter, type CaptureLayout } from './writer.js';

export interface SyntheticOptions {
  connections: number;
  /** Connections open at once (default 1,000). */
  concurrency?: number;
  seed?: number;
  /** Flow-size CDF for the responses, `[bytes, percent]`. */
  cdf: [number, number][];
  mss?: number;
  /** Time between consecutive packets of the whole capture, ms (default 0.01). */
  packetGapMs?: number;
  /** Every k-th connection is IPv6 (default 0: none). */
  ipv6Every?: number;
  /** Time of the first packet, ms since the epoch. */
  startMs?: number;
}

export interface SyntheticConnection {
  index: number;
  client: Uint8Array;
  server: Uint8Array;
  clientPort: number;
  serverPort: number;
  /** Payload the client sent / received. */
  sent: number;
  received: number;
}

export type SegmentSink = (tsMs: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, flags: number, payload: number) => void;

const SYN = 2,
  ACK = 16,
  SYN_ACK = 18,
  PSH_ACK = 24,
  FIN_ACK = 17;

/** Runs the whole synthetic workload through `onSegment`; returns the number of packets. */
export function synthesize(o: SyntheticOptions, onSegment: SegmentSink, onConnection?: (c: SyntheticConnection) => void): number {
  const random = seededRandom(o.seed ?? 1);
  const k = Math.max(1, Math.min(o.concurrency ?? 1000, o.connections));
  const mss = o.mss ?? 1460;
  const gap = o.packetGapMs ?? 0.01;
  let t = o.startMs ?? 1_700_000_000_000;
  const phase = new Uint8Array(k);
  const sentLeft = new Float64Array(k);
  const recvLeft = new Float64Array(k);
  const clients: Uint8Array[] = [];
  const servers: Uint8Array[] = [];
  const cport = new Uint16Array(k);
  const sport = new Uint16Array(k);
  const live = new Uint8Array(k);
  let started = 0;
  let packets = 0;

  const start = (j: number) => {
    const i = started++;
    const v6 = o.ipv6Every ? i % o.ipv6Every === o.ipv6Every - 1 : false;
    const c = new Uint8Array(16);
    const s = new Uint8Array(16);
    if (v6) {
      c.set([0x20, 0x01, 0x0d, 0xb8, 0, 1]);
      c[12] = i >>> 24;
      c[13] = i >>> 16;
      c[14] = i >>> 8;
      c[15] = i;
      s.set([0x20, 0x01, 0x0d, 0xb8, 0, 2]);
      s[15] = 1 + (i % 200);
    } else {
      c[10] = c[11] = s[10] = s[11] = 0xff;
      c[12] = 10;
      c[13] = i >>> 16;
      c[14] = i >>> 8;
      c[15] = i;
      s[12] = 192;
      s[13] = 168;
      s[14] = (i >>> 8) % 16;
      s[15] = 1 + (i % 250);
    }
    clients[j] = c;
    servers[j] = s;
    cport[j] = 1024 + (i % 60000);
    sport[j] = i % 3 === 0 ? 80 : 443;
    sentLeft[j] = 100 + Math.floor(random() * 1900);
    recvLeft[j] = sampleCdf(o.cdf, random());
    phase[j] = 0;
    live[j] = 1;
    onConnection?.({ index: i, client: c, server: s, clientPort: cport[j]!, serverPort: sport[j]!, sent: sentLeft[j]!, received: recvLeft[j]! });
  };
  for (let j = 0; j < k; j++) start(j);

  let alive = k;
  while (alive > 0) {
    for (let j = 0; j < k; j++) {
      if (!live[j]) continue;
      const c = clients[j]!,
        s = servers[j]!,
        cp = cport[j]!,
        sp = sport[j]!;
      t += gap;
      packets++;
      switch (phase[j]) {
        case 0:
          onSegment(t, c, s, cp, sp, SYN, 0);
          phase[j] = 1;
          break;
        case 1:
          onSegment(t, s, c, sp, cp, SYN_ACK, 0);
          phase[j] = 2;
          break;
        case 2:
          onSegment(t, c, s, cp, sp, ACK, 0);
          phase[j] = 3;
          break;
        case 3:
          if (sentLeft[j]! > 0) {
            const n = Math.min(mss, sentLeft[j]!);
            sentLeft[j] = sentLeft[j]! - n;
            onSegment(t, c, s, cp, sp, PSH_ACK, n);
          } else if (recvLeft[j]! > 0) {
            const n = Math.min(mss, recvLeft[j]!);
            recvLeft[j] = recvLeft[j]! - n;
            onSegment(t, s, c, sp, cp, PSH_ACK, n);
          } else {
            onSegment(t, c, s, cp, sp, FIN_ACK, 0);
            phase[j] = 4;
          }
          break;
        case 4:
          onSegment(t, s, c, sp, cp, FIN_ACK, 0);
          phase[j] = 5;
          break;
        default:
          onSegment(t, c, s, cp, sp, ACK, 0);
          live[j] = 0;
          alive--;
          if (started < o.connections) {
            start(j);
            alive++;
          }
      }
    }
  }
  return packets;
}

/**
 * Writes the synthetic workload to `path` as a capture (gzip members of 4 MiB when `gzip`).
 * Returns the packets written; `onConnection` sees every connection as it starts.
 */
export function writeSyntheticCapture(
  path: string,
  o: SyntheticOptions,
  layout: CaptureLayout,
  gzip = false,
  onConnection?: (c: SyntheticConnection) => void,
): number {
  const fd = openSync(path, 'w');
  try {
    const w = new CaptureWriter(layout);
    const flush = (min?: number) => {
      const bytes = w.take(min);
      if (bytes.length) writeSync(fd, gzip ? gzipSync(bytes, { level: 1 }) : bytes);
    };
    const packets = synthesize(
      o,
      (t, s, d, sp, dp, f, p) => {
        w.segment(t, s, d, sp, dp, f, p);
        flush();
      },
      onConnection,
    );
    flush(0);
    return packets;
  } finally {
    closeSync(fd);
  }
}
