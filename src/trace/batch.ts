// One entry at a time into a TickBatch, for readers that meet entries one by one: the room is made
// (and the batch itself) where every source makes it (src/sim/tick-batch.ts).
import type { TickBatch } from '../sim/source.js';

import { roomForTraffic, roomToClose, roomToOpen } from '../sim/tick-batch.js';

export { createTickBatch } from '../sim/tick-batch.js';

/** Index of a new `opened` entry (count incremented); its columns are large enough. */
export function addOpened(b: TickBatch): number {
  roomToOpen(b, 1);
  return b.opened.count++;
}

export function addTraffic(b: TickBatch, id: number, sent: number, received: number): void {
  roomForTraffic(b, 1);
  const t = b.traffic;
  t.id[t.count] = id;
  t.sent[t.count] = sent;
  t.received[t.count++] = received;
}

export function addClosed(b: TickBatch, id: number): void {
  roomToClose(b, 1);
  b.closed.id[b.closed.count++] = id;
}
