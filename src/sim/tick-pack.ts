// TickBatches packed into an ArrayBuffer, so that a tick can cross to another thread as one
// transferable buffer (simulate's workload generated on a worker thread: src/cli/feed-worker.ts
// writes, src/cli/streamed-source.ts reads). Only the `count` used entries of each column are
// copied; the traffic `tag` column is not (it names the reader's own ids, which the writer does
// not know). Browser-safe: plain typed arrays.
//
// One tick, starting at an offset that is a multiple of 8 (Float64 columns first, so every
// column is aligned to its element size without padding between them):
//
//   +0   Uint32 x 6   opened count O | traffic count T | rates count R | closed count C | more | tick
//   +24  Float64      ticks: the source's `ticks` after reading this tick (an estimate for a trace)
//   +32  Float64 x T  traffic.sent        then Float64 x T traffic.received
//        Float64 x R  rates.sent          then Float64 x R rates.received
//        Uint32  x T  traffic.id         Uint32 x R rates.id     Uint32 x C closed.id
//        Uint32  x O  opened.id          Uint32 x O opened.ifIndex
//        Uint16  x O  opened.localPort   Uint16 x O opened.remotePort
//        Uint8 x 16O  opened.nextHop, source, destination (16 bytes each)   Uint8 x O priority
//        0..7 bytes of padding to the next multiple of 8

import type { TickBatch } from './source.js';
import { resetTickBatch, roomForRates, roomForTraffic, roomToClose, roomToOpen } from './tick-batch.js';

const HEADER = 32;

/** Bytes `batch` takes packed (a multiple of 8). */
export function packedTickBytes(batch: TickBatch): number {
  return packedBytes(batch.opened.count, batch.traffic.count, batch.rates?.count ?? 0, batch.closed.count);
}

/** Bytes of a packed tick of O opened, T traffic, R rate and C closed entries (the layout above). */
const packedBytes = (O: number, T: number, R: number, C: number) => pad8(HEADER + 16 * (T + R) + 4 * (T + R + C + 2 * O) + 4 * O + 49 * O);

type Column = Float64Array | Uint32Array | Uint16Array | Uint8Array;
type ColumnKind = { new (b: ArrayBuffer, o: number, n: number): Column };

/**
 * Every column of `batch` in the order of the layout above, with its element type and the entries
 * packed: the one list packTick writes by and unpackTick reads by.
 */
function eachColumn(batch: TickBatch, O: number, T: number, R: number, C: number, visit: (Kind: ColumnKind, column: Column, n: number) => void): void {
  const { opened, traffic, closed, rates } = batch;
  visit(Float64Array, traffic.sent, T);
  visit(Float64Array, traffic.received, T);
  if (R) {
    visit(Float64Array, rates!.sent, R);
    visit(Float64Array, rates!.received, R);
  }
  visit(Uint32Array, traffic.id, T);
  if (R) visit(Uint32Array, rates!.id, R);
  visit(Uint32Array, closed.id, C);
  visit(Uint32Array, opened.id, O);
  visit(Uint32Array, opened.ifIndex, O);
  visit(Uint16Array, opened.localPort, O);
  visit(Uint16Array, opened.remotePort, O);
  visit(Uint8Array, opened.nextHop, 16 * O);
  visit(Uint8Array, opened.source, 16 * O);
  visit(Uint8Array, opened.destination, 16 * O);
  visit(Uint8Array, opened.priority, O);
}

/**
 * Writes tick number `tick` of a source (its batch, whether more follow, and the source's `ticks`
 * after it) at byte `at` of `buffer`, which must have packedTickBytes(batch) bytes there.
 * Returns the offset after it.
 */
export function packTick(batch: TickBatch, tick: number, more: boolean, ticks: number, buffer: ArrayBuffer, at: number): number {
  const { opened, traffic, closed } = batch;
  const O = opened.count;
  const T = traffic.count;
  const R = batch.rates?.count ?? 0;
  const C = closed.count;
  const end = at + packedTickBytes(batch);
  if (at % 8 !== 0 || end > buffer.byteLength) throw new RangeError(`packTick: no room for ${end - at} bytes at ${at} of ${buffer.byteLength}`);
  const head = new Uint32Array(buffer, at, 6);
  head[0] = O;
  head[1] = T;
  head[2] = R;
  head[3] = C;
  head[4] = more ? 1 : 0;
  head[5] = tick;
  new Float64Array(buffer, at + 24, 1)[0] = ticks;
  let p = at + HEADER;
  eachColumn(batch, O, T, R, C, (Kind, from, n) => {
    const to = new Kind(buffer, p, n);
    to.set(from.subarray(0, n));
    p += to.byteLength;
  });
  return end;
}

/** What unpackTick read besides the batch. */
export interface PackedTick {
  tick: number;
  more: boolean;
  ticks: number;
  /** Offset of the next tick. */
  end: number;
}

/**
 * Reads the tick at byte `at` of `buffer` into `batch` (resetting its counts first and growing its
 * columns as needed; the batch needs a rates section if the tick has rates). Writes into `into`
 * (reused, so that reading a tick allocates no result object) and returns it.
 */
export function unpackTick(buffer: ArrayBuffer, at: number, batch: TickBatch, into: PackedTick): PackedTick {
  if (at % 8 !== 0 || at + HEADER > buffer.byteLength) throw new RangeError(`unpackTick: no tick at ${at} of ${buffer.byteLength} bytes`);
  const head = new Uint32Array(buffer, at, 6);
  const O = head[0]!;
  const T = head[1]!;
  const R = head[2]!;
  const C = head[3]!;
  resetTickBatch(batch);
  const end = at + packedBytes(O, T, R, C);
  if (end > buffer.byteLength) throw new RangeError(`unpackTick: the tick at ${at} runs past the end of its ${buffer.byteLength} bytes`);
  if (R && !batch.rates) throw new Error('unpackTick: the tick has rate changes and the batch no rates section (make batches with createTickBatch)');
  roomToOpen(batch, O);
  roomForTraffic(batch, T);
  if (R) roomForRates(batch, R);
  roomToClose(batch, C);
  const { opened, traffic, closed } = batch;
  let p = at + HEADER;
  eachColumn(batch, O, T, R, C, (Kind, to, n) => {
    const from = new Kind(buffer, p, n);
    to.set(from);
    p += from.byteLength;
  });
  opened.count = O;
  traffic.count = T;
  if (batch.rates) batch.rates.count = R;
  closed.count = C;
  into.tick = head[5]!;
  into.more = head[4] === 1;
  into.ticks = new Float64Array(buffer, at + 24, 1)[0]!;
  into.end = end;
  return into;
}

const pad8 = (n: number) => (n + 7) & ~7;
