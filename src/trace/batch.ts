// TickBatch columns that grow: a source appends entries with these and never checks sizes itself.
// The batch itself is made where every source makes it (src/sim/tick-batch.ts).
import type { TickBatch } from '../sim/source.js';

export { createTickBatch } from '../sim/tick-batch.js';

function grow<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}

/** Index of a new `opened` entry (count incremented); its columns are large enough. */
export function addOpened(b: TickBatch): number {
  const o = b.opened;
  if (o.count === o.id.length || o.count * 16 >= o.source.length) {
    const n = Math.max(16, o.count * 2);
    o.id = grow(o.id, n);
    o.ifIndex = grow(o.ifIndex, n);
    o.localPort = grow(o.localPort, n);
    o.remotePort = grow(o.remotePort, n);
    o.priority = grow(o.priority, n);
    o.nextHop = grow(o.nextHop, n * 16);
    o.source = grow(o.source, n * 16);
    o.destination = grow(o.destination, n * 16);
  }
  return o.count++;
}

export function addTraffic(b: TickBatch, id: number, sent: number, received: number): void {
  const t = b.traffic;
  if (t.count === t.id.length) {
    const n = Math.max(16, t.count * 2);
    t.id = grow(t.id, n);
    t.sent = grow(t.sent, n);
    t.received = grow(t.received, n);
  }
  t.id[t.count] = id;
  t.sent[t.count] = sent;
  t.received[t.count++] = received;
}

export function addClosed(b: TickBatch, id: number): void {
  const c = b.closed;
  if (c.count === c.id.length) c.id = grow(c.id, Math.max(16, c.count * 2));
  c.id[c.count++] = id;
}
