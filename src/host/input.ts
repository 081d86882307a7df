// The scratch arrays the host reads the batch arguments of open(), traffic(), steady() and close()
// into (with batchCount and readIntegers of src/table/validate.ts): every entry is read once and
// checked before anything changes, so a bad batch throws OffloadError(InvalidArgument) naming the
// entry and leaves the host exactly as it was.

import { ErrorCode } from '../table/enums.js';
import { OffloadError } from '../table/errors.js';

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
