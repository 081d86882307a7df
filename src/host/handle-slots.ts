// Table handle -> host slot, for the connection engine's connections on the target: a direct index,
// no hashing. A table handle's low bits are its object's slot in the table (README: kind |
// generation | slot; the number of slot bits comes from the loaded core, OffloadTable.handleLayout),
// and the table holds one connection per slot at a time, so an Int32Array indexed by table slot
// names the host slot in one read. The host's handle column confirms it: the whole handle (kind,
// generation, slot, all 53 bits) must be the one the host slot holds, so a path's or a neighbor's
// handle with the same slot bits, a freed connection's handle whose table slot holds a new one,
// and any junk number (a fraction, NaN, -0, past 2^53) are never taken for it.
//
//   table slot:    0    1    2    3   ...          grown as table slots appear; -1 = none
//   rows        [ -1 | 17 | -1 |  4 | ... ]   ──>  host slot 17: handle column[17] === handle ? 17 : -1
//
// The table reuses a slot only once it freed its object, but the host learns of the free a moment
// later (HostStack frees a batch in the table, then tells the engine one handle at a time). If a
// new connection takes the slot in between, the older entry moves to `displaced`, a small hash,
// until it is deleted: the index answers exactly as a Map of the entries set and not deleted would.

import { HandleIndex } from '../target/handle-index.js';

const MAX_HANDLE = Number.MAX_SAFE_INTEGER;

export class SlotsByHandle {
  private rows = new Int32Array(0);
  /** Table slots per kind: 2^slotBits, the place value of a handle's generation. */
  private readonly span: number;
  /** Entries whose table slot a newer entry took before they were deleted (see above). */
  private readonly displaced = new HandleIndex();
  private displacedCount = 0;

  /** `slotBits`: a handle's slot bits, from the core (OffloadTable.handleLayout().slotBits). */
  constructor(slotBits: number) {
    if (!Number.isInteger(slotBits) || slotBits < 1 || slotBits > 30) throw new RangeError(`SlotsByHandle: slotBits must be an integer 1..30, got ${slotBits}`);
    this.span = 2 ** slotBits;
  }

  /**
   * The host slot of `handle`, or -1. `handles` is the host's handle column (read here, never
   * kept: the host replaces its columns when they grow). Any value of `handle` is safe.
   */
  get(handle: number, handles: Float64Array): number {
    // Whole-number checks first; the slot bits are then taken from the whole handle (no 32-bit
    // truncation: 2^32 + 5 is slot 5 of generation 64, not slot 5 of generation 0).
    if (!(handle > 0 && handle <= MAX_HANDLE)) return -1;
    const span = this.span;
    const t = (handle - Math.floor(handle / span) * span) | 0;
    const rows = this.rows;
    if (t < rows.length) {
      const row = rows[t]!;
      if (row >= 0 && handles[row] === handle) return row;
    }
    return this.displacedCount === 0 ? -1 : this.fromDisplaced(handle, handles);
  }

  /**
   * Maps `handle` (a live connection handle the table returned) to host slot `row`; `handles` is
   * the host's handle column, where handles[row] === handle already.
   */
  set(handle: number, row: number, handles: Float64Array): void {
    const t = this.tableSlot(handle);
    if (t >= this.rows.length) this.grow(t + 1);
    const old = this.rows[t]!;
    if (old >= 0 && old !== row) {
      // The older entry is still set if its host slot still holds a handle of this table slot.
      const h = handles[old]!;
      if (h !== handle && h > 0 && this.tableSlot(h) === t) {
        this.displaced.set(h, old);
        this.displacedCount++;
      }
    }
    this.rows[t] = row;
  }

  /** Removes the entry of `handle`, which maps to host slot `row`. */
  delete(handle: number, row: number): void {
    const t = this.tableSlot(handle);
    if (t < this.rows.length && this.rows[t] === row) this.rows[t] = -1;
    else if (this.displacedCount > 0 && this.displaced.delete(handle)) this.displacedCount--;
  }

  private fromDisplaced(handle: number, handles: Float64Array): number {
    const row = this.displaced.get(handle);
    return row >= 0 && handles[row] === handle ? row : -1;
  }

  private tableSlot(handle: number): number {
    return (handle - Math.floor(handle / this.span) * this.span) | 0;
  }

  private grow(n: number): void {
    const rows = new Int32Array(Math.min(this.span, Math.max(n, 2 * this.rows.length, 1024))).fill(-1);
    rows.set(this.rows);
    this.rows = rows;
  }
}
