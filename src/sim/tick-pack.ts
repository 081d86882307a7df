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
  const o = batch.opened.count;
  const t = batch.traffic.count;
  const r = batch.rates?.count ?? 0;
  const c = batch.closed.count;
  return pad8(HEADER + 16 * (t + r) + 4 * (t + r + c + 2 * o) + 4 * o + 49 * o);
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
  const put = <A extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(
    Kind: { new (b: ArrayBuffer, o: number, n: number): A },
    from: A,
    n: number,
  ) => {
    const to = new Kind(buffer, p, n);
    to.set(from.subarray(0, n));
    p += to.byteLength;
  };
  put(Float64Array, traffic.sent, T);
  put(Float64Array, traffic.received, T);
  if (R) {
    put(Float64Array, batch.rates!.sent, R);
    put(Float64Array, batch.rates!.received, R);
  }
  put(Uint32Array, traffic.id, T);
  if (R) put(Uint32Array, batch.rates!.id, R);
  put(Uint32Array, closed.id, C);
  put(Uint32Array, opened.id, O);
  put(Uint32Array, opened.ifIndex, O);
  put(Uint16Array, opened.localPort, O);
  put(Uint16Array, opened.remotePort, O);
  put(Uint8Array, opened.nextHop, 16 * O);
  put(Uint8Array, opened.source, 16 * O);
  put(Uint8Array, opened.destination, 16 * O);
  put(Uint8Array, opened.priority, O);
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
  const end = at + pad8(HEADER + 16 * (T + R) + 4 * (T + R + C + 2 * O) + 4 * O + 49 * O);
  if (end > buffer.byteLength) throw new RangeError(`unpackTick: the tick at ${at} runs past the end of its ${buffer.byteLength} bytes`);
  if (R && !batch.rates) throw new Error('unpackTick: the tick has rate changes and the batch no rates section (make batches with createTickBatch)');
  roomToOpen(batch, O);
  roomForTraffic(batch, T);
  if (R) roomForRates(batch, R);
  roomToClose(batch, C);
  const { opened, traffic, closed } = batch;
  let p = at + HEADER;
  const get = <A extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(Kind: { new (b: ArrayBuffer, o: number, n: number): A }, to: A, n: number) => {
    const from = new Kind(buffer, p, n);
    to.set(from);
    p += from.byteLength;
  };
  get(Float64Array, traffic.sent, T);
  get(Float64Array, traffic.received, T);
  if (R) {
    get(Float64Array, batch.rates!.sent, R);
    get(Float64Array, batch.rates!.received, R);
  }
  get(Uint32Array, traffic.id, T);
  if (R) get(Uint32Array, batch.rates!.id, R);
  get(Uint32Array, closed.id, C);
  get(Uint32Array, opened.id, O);
  get(Uint32Array, opened.ifIndex, O);
  get(Uint16Array, opened.localPort, O);
  get(Uint16Array, opened.remotePort, O);
  get(Uint8Array, opened.nextHop, 16 * O);
  get(Uint8Array, opened.source, 16 * O);
  get(Uint8Array, opened.destination, 16 * O);
  get(Uint8Array, opened.priority, O);
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
