// Making and growing TickBatch columns (src/sim/source.ts). A source fills one batch per tick and
// grows it when a tick needs more room, so memory follows the busiest tick, not the run.

import type { TickBatch } from './source.js';
import { grown } from '../util/grown.js';

/** An empty batch with room for `room` entries in each part. */
export function createTickBatch(room = 1024): TickBatch {
  return {
    opened: {
      count: 0,
      id: new Uint32Array(room),
      ifIndex: new Uint32Array(room),
      nextHop: new Uint8Array(room * 16),
      source: new Uint8Array(room * 16),
      destination: new Uint8Array(room * 16),
      localPort: new Uint16Array(room),
      remotePort: new Uint16Array(room),
      priority: new Uint8Array(room),
    },
    traffic: { count: 0, id: new Uint32Array(room), sent: new Float64Array(room), received: new Float64Array(room), tag: new Float64Array(room) },
    rates: { count: 0, id: new Uint32Array(room), sent: new Float64Array(room), received: new Float64Array(room) },
    closed: { count: 0, id: new Uint32Array(room) },
  };
}

/** Sets every count to 0. */
export function resetTickBatch(b: TickBatch): void {
  b.opened.count = b.traffic.count = b.closed.count = 0;
  if (b.rates) b.rates.count = 0;
}

/** Makes room for `n` more opened entries. */
export function roomToOpen(b: TickBatch, n: number): void {
  const o = b.opened;
  const need = o.count + n;
  if (o.id.length >= need) return;
  o.id = grown(o.id, need);
  o.ifIndex = grown(o.ifIndex, need);
  o.localPort = grown(o.localPort, need);
  o.remotePort = grown(o.remotePort, need);
  o.priority = grown(o.priority, need);
  o.nextHop = grown(o.nextHop, o.id.length * 16);
  o.source = grown(o.source, o.id.length * 16);
  o.destination = grown(o.destination, o.id.length * 16);
}

/** Makes room for `n` more traffic entries. */
export function roomForTraffic(b: TickBatch, n: number): void {
  const t = b.traffic;
  const need = t.count + n;
  if (t.id.length >= need) return;
  t.id = grown(t.id, need);
  t.sent = grown(t.sent, need);
  t.received = grown(t.received, need);
  if (t.tag) t.tag = grown(t.tag, need);
}

/** Makes room for `n` more closed entries. */
export function roomToClose(b: TickBatch, n: number): void {
  if (b.closed.id.length < b.closed.count + n) b.closed.id = grown(b.closed.id, b.closed.count + n);
}

/** Makes room for `n` more rate changes (the batch must have a rates section). */
export function roomForRates(b: TickBatch, n: number): void {
  const r = b.rates!;
  const need = r.count + n;
  if (r.id.length >= need) return;
  r.id = grown(r.id, need);
  r.sent = grown(r.sent, need);
  r.received = grown(r.received, need);
}
