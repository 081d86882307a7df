// Table handle -> host slot, for the connection engine's connections on the target, and the bytes
// the target delivered to each during its offload: a direct index, no hashing. A table handle's
// low bits are its object's slot in the table (README: kind | generation | slot; the number of
// slot bits comes from the loaded core, OffloadTable.handleLayout), and the table holds one
// connection per slot at a time, so one entry per table slot answers with one read. The entry
// keeps the whole handle and a lookup compares it (kind, generation, slot: all 53 bits), so a
// path's or a neighbor's handle with the same slot bits, a freed connection's handle whose table
// slot holds a new one, and any junk number (a fraction, NaN, -0, past 2^53) are never taken for
// it. A delivery (a million-connection run has ~6 million, in the target's order, random to the
// host's slots) touches one 16-byte entry and nothing of the host's columns: the cache misses are
// what a delivery costs, so the entries are as small as they can be.
//
//   table slot t:     0         1            ...   grown as table slots appear
//   entries      [ 0 | 0  |  h1 | 5120 | ... ]     Float64Array, 2 per table slot: handle, delivered bytes (0: none)
//   rows         [ -1     |  17        | ... ]     Int32Array, 1 per table slot: host slot (-1: none)
//
// The table reuses a slot only once it freed its object, but the host learns of the free a moment
// later (HostStack frees a batch in the table, then tells the engine one handle at a time). If a
// new connection takes the slot in between, the older entry moves to `displaced` (a Map: it is
// rare, and holds a handle or two at a time) until it is deleted: the index answers exactly as a
// Map of the entries set and not deleted would.

const MAX_HANDLE = Number.MAX_SAFE_INTEGER;
/** Numbers per entry of `entries` (a power of two: entries never straddle a cache line). */
const STRIDE = 2;

export class SlotsByHandle {
  private entries = new Float64Array(0);
  private rows = new Int32Array(0);
  /** Table slots per kind: 2^slotBits, the place value of a handle's generation. */
  private readonly span: number;
  /** Entries whose table slot a newer entry took before they were deleted (see above): handle -> row, bytes. */
  private readonly displaced = new Map<number, { row: number; bytes: number }>();

  /** `slotBits`: a handle's slot bits, from the core (OffloadTable.handleLayout().slotBits). */
  constructor(slotBits: number) {
    if (!Number.isInteger(slotBits) || slotBits < 1 || slotBits > 28) throw new RangeError(`SlotsByHandle: slotBits must be an integer 1..28, got ${slotBits}`);
    this.span = 2 ** slotBits;
  }

  /** The host slot of `handle`, or -1. Any value of `handle` is safe. */
  get(handle: number): number {
    const at = this.entryOf(handle);
    if (at >= 0) return this.rows[at / STRIDE]!;
    return this.displaced.size === 0 ? -1 : (this.displaced.get(handle)?.row ?? -1);
  }

  /**
   * Adds `bytes` (a number >= 0) to what the target delivered to `handle` during this offload;
   * false (nothing added) if `handle` has no entry. Any value of `handle` is safe.
   */
  deliver(handle: number, bytes: number): boolean {
    const at = this.entryOf(handle);
    if (at >= 0) {
      this.entries[at + 1]! += bytes;
      return true;
    }
    const d = this.displaced.size === 0 ? undefined : this.displaced.get(handle);
    if (d === undefined) return false;
    d.bytes += bytes;
    return true;
  }

  /** What the target delivered to `handle` since it was set (0 if it has no entry). */
  delivered(handle: number): number {
    const at = this.entryOf(handle);
    if (at >= 0) return this.entries[at + 1]!;
    return this.displaced.size === 0 ? 0 : (this.displaced.get(handle)?.bytes ?? 0);
  }

  /** Maps `handle` (a live connection handle the table returned) to host slot `row`, nothing delivered yet. */
  set(handle: number, row: number): void {
    const at = STRIDE * this.tableSlot(handle);
    if (at >= this.entries.length) this.grow(at + STRIDE);
    const entries = this.entries;
    const old = entries[at]!;
    if (old !== 0 && old !== handle) this.displaced.set(old, { row: this.rows[at / STRIDE]!, bytes: entries[at + 1]! });
    entries[at] = handle;
    entries[at + 1] = 0;
    this.rows[at / STRIDE] = row;
  }

  /** Removes the entry of `handle`, if it has one. */
  delete(handle: number): void {
    const at = this.entryOf(handle);
    if (at >= 0) {
      this.entries[at] = 0;
      this.entries[at + 1] = 0;
      this.rows[at / STRIDE] = -1;
    } else if (this.displaced.size > 0) this.displaced.delete(handle);
  }

  /** Where the entry of `handle` starts in `entries`, or -1 if it has none there. */
  private entryOf(handle: number): number {
    // Whole-number checks first; the slot bits are then taken from the whole handle (no 32-bit
    // truncation: 2^32 + 5 is slot 5 of generation 64, not slot 5 of generation 0), and the
    // entry's handle must equal all of it.
    if (!(handle > 0 && handle <= MAX_HANDLE)) return -1;
    const at = STRIDE * this.tableSlot(handle);
    return at < this.entries.length && this.entries[at] === handle ? at : -1;
  }

  private tableSlot(handle: number): number {
    return (handle - Math.floor(handle / this.span) * this.span) | 0;
  }

  private grow(n: number): void {
    const slots = Math.min(this.span, Math.max(n / STRIDE, 2 * this.rows.length, 1024));
    // Both allocated before either is replaced: a failed allocation leaves the index as it was.
    const entries = new Float64Array(STRIDE * slots);
    const rows = new Int32Array(slots).fill(-1);
    entries.set(this.entries);
    rows.set(this.rows);
    this.entries = entries;
    this.rows = rows;
  }
}
