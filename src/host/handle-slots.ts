// Table handle -> host slot, for the connection engine's connections on the target: a direct index,
// no hashing. A table handle's low bits are its object's slot in the table (README: kind |
// generation | slot; the number of slot bits comes from the loaded core, OffloadTable.handleLayout),
// and the table holds one connection per slot at a time, so one entry per table slot names the
// host slot with one read. The entry keeps the whole handle beside the host slot and a lookup
// compares it (kind, generation, slot: all 53 bits), so a path's or a neighbor's handle with the
// same slot bits, a freed connection's handle whose table slot holds a new one, and any junk number
// (a fraction, NaN, -0, past 2^53) are never taken for it. Handle and host slot share a cache line:
// a lookup touches one line of this array and nothing of the host's columns (a million-connection
// run looks up ~6 million deliveries, in the target's order, random to the host's slots).
//
//   table slot t:   0            1              2            ...     grown as table slots appear
//   entries      [ 0 | -1     | h1 | 17     | 0 | -1     | ... ]     Float64Array, 2 per table slot:
//                  handle, host slot (0, -1: none)                  entries[2t] === handle ? entries[2t + 1] : -1
//
// The table reuses a slot only once it freed its object, but the host learns of the free a moment
// later (HostStack frees a batch in the table, then tells the engine one handle at a time). If a
// new connection takes the slot in between, the older entry moves to `displaced`, a small hash,
// until it is deleted: the index answers exactly as a Map of the entries set and not deleted would.

import { HandleIndex } from '../target/handle-index.js';

const MAX_HANDLE = Number.MAX_SAFE_INTEGER;

export class SlotsByHandle {
  private entries = new Float64Array(0);
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

  /** The host slot of `handle`, or -1. Any value of `handle` is safe. */
  get(handle: number): number {
    // Whole-number checks first; the slot bits are then taken from the whole handle (no 32-bit
    // truncation: 2^32 + 5 is slot 5 of generation 64, not slot 5 of generation 0), and the
    // entry's handle must equal all of it.
    if (!(handle > 0 && handle <= MAX_HANDLE)) return -1;
    const span = this.span;
    const at = 2 * ((handle - Math.floor(handle / span) * span) | 0);
    const entries = this.entries;
    // `| 0`: an int, never a float64 boxed on its way out of a call that was not inlined.
    if (at < entries.length && entries[at] === handle) return entries[at + 1]! | 0;
    return this.displacedCount === 0 ? -1 : this.displaced.get(handle);
  }

  /** Maps `handle` (a live connection handle the table returned) to host slot `row`. */
  set(handle: number, row: number): void {
    const at = 2 * this.tableSlot(handle);
    if (at >= this.entries.length) this.grow(at + 2);
    const entries = this.entries;
    const old = entries[at]!;
    if (old !== 0 && old !== handle) {
      this.displaced.set(old, entries[at + 1]!);
      this.displacedCount++;
    }
    entries[at] = handle;
    entries[at + 1] = row;
  }

  /** Removes the entry of `handle`, if it has one. */
  delete(handle: number): void {
    const at = 2 * this.tableSlot(handle);
    if (at < this.entries.length && this.entries[at] === handle) {
      this.entries[at] = 0;
      this.entries[at + 1] = -1;
    } else if (this.displacedCount > 0 && this.displaced.delete(handle)) this.displacedCount--;
  }

  private tableSlot(handle: number): number {
    return (handle - Math.floor(handle / this.span) * this.span) | 0;
  }

  private grow(n: number): void {
    const entries = new Float64Array(Math.min(2 * this.span, Math.max(n, 2 * this.entries.length, 2048)));
    for (let i = 1; i < entries.length; i += 2) entries[i] = -1;
    entries.set(this.entries);
    this.entries = entries;
  }
}
