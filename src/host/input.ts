// Reading the batch arguments of open(), traffic() and close(): every entry is read once (into a
// typed array the caller owns) and checked before anything changes, so a bad batch throws
// OffloadError(InvalidArgument) naming the entry and leaves the host exactly as it was.

import { ErrorCode } from '../table/enums.js';
import { invalid, OffloadError } from '../table/errors.js';
import { typeName } from '../table/address.js';

/** Growable scratch arrays, reused across calls (a batch is read into them once). */
export class Scratch {
  f64a = new Float64Array(1024);
  f64b = new Float64Array(1024);
  f64c = new Float64Array(1024);
  u32 = new Uint32Array(1024);
  /** The batch sorted by slot (traffic): 4 numbers per entry (slot, sent, received, id). */
  records = new Float64Array(4 * 1024);

  /**
   * Room for `n` entries in every array. All or none: if one allocation fails (a batch of a billion
   * entries, a sparse array's length), no array is replaced, since a later call trusts them all to
   * be as long as f64a; the failure is an OffloadError (OutOfMemory), not a bare RangeError.
   */
  ensure(n: number): void {
    if (n <= this.f64a.length) return;
    let size = this.f64a.length;
    while (size < n) size *= 2;
    const arrays = allocate(n, size);
    [this.f64a, this.f64b, this.f64c, this.u32, this.records] = arrays;
  }
}

/** The scratch's five arrays for `size` entries (60 bytes each), or OffloadError(OutOfMemory) naming the batch of `n` that needed them. */
function allocate(n: number, size: number) {
  try {
    return [new Float64Array(size), new Float64Array(size), new Float64Array(size), new Uint32Array(size), new Float64Array(4 * size)] as const;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new OffloadError(
      ErrorCode.OutOfMemory,
      `a batch of ${n.toLocaleString('en-US')} entries needs ${Math.ceil((size * 60) / 2 ** 20).toLocaleString('en-US')} MiB of scratch memory, which could not be allocated (${error.message}); pass the batch in smaller calls`,
    );
  }
}

/** The number of entries of a batch: `count` if given (at most the arrays' length), else the length of `first`. */
export function batchCount(op: string, count: unknown, arrays: [string, unknown][]): number {
  for (const [name, a] of arrays) {
    if (!isArrayLike(a)) invalid(`${op}: ${name} must be an array or typed array, got ${typeName(a)}`);
  }
  const shortest = Math.min(...arrays.map(([, a]) => (a as ArrayLike<unknown>).length));
  if (count === undefined) {
    const lengths = new Set(arrays.map(([, a]) => (a as ArrayLike<unknown>).length));
    if (lengths.size > 1)
      invalid(
        `${op}: ${arrays.map(([n]) => n).join(', ')} must have the same length (or pass count), got ${arrays.map(([, a]) => (a as ArrayLike<unknown>).length).join(', ')}`,
      );
    return shortest;
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > shortest) {
    invalid(`${op}: count must be an integer 0..${shortest} (the shortest array's length), got ${typeName(count)}`);
  }
  return count;
}

export function isArrayLike(a: unknown): a is ArrayLike<unknown> {
  return ArrayBuffer.isView(a) ? !(a instanceof DataView) : Array.isArray(a);
}

/**
 * Copies `count` entries of `from` into `to` (one read each), checking each is an integer in
 * [lo, hi]. Typed arrays whose element type already guarantees the range skip the check.
 */
export function readIntegers(op: string, name: string, from: ArrayLike<unknown>, count: number, to: Float64Array | Uint32Array, lo: number, hi: number): void {
  for (let i = 0; i < count; i++) {
    const v = from[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      invalid(`${op}: ${name}[${i}] must be an integer ${lo}..${hi}, got ${typeName(v)}`, i);
    }
    to[i] = v;
  }
}
