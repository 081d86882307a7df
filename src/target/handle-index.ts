// handle -> row, for the simulated target's columns: an open-addressing hash table in typed
// arrays (linear probing, deletion by backward shift, so no tombstones pile up under churn).
// A JS Map does the same job, but its number keys read from a Float64Array are boxed on every
// lookup; this one never allocates per lookup.
//
//   keys  Float64Array [ 0 | h7 | 0 | h12 | h3 | 0 ... ]   0 = empty (0 is never a handle)
//   rows  Int32Array   [   | 1  |   | 2   | 0  |   ... ]   capacity a power of two, at most half full

export class HandleIndex {
  private keys = new Float64Array(1024);
  private rows = new Int32Array(1024);
  private mask = 1023;
  private size = 0;

  /** The row of `handle`, or -1. */
  get(handle: number): number {
    const keys = this.keys;
    for (let i = hash(handle) & this.mask; ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === handle) return this.rows[i]!;
      if (k === 0) return -1;
    }
  }

  /** Sets the row of `handle` (a non-zero number). */
  set(handle: number, row: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    const keys = this.keys;
    for (let i = hash(handle) & this.mask; ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === handle) {
        this.rows[i] = row;
        return;
      }
      if (k === 0) {
        keys[i] = handle;
        this.rows[i] = row;
        this.size++;
        return;
      }
    }
  }

  /** Removes `handle`; returns whether it was there. */
  delete(handle: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let i = hash(handle) & mask;
    for (; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === handle) break;
      if (k === 0) return false;
    }
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== 0; j = (j + 1) & mask) {
      const home = hash(keys[j]!) & mask;
      // j's entry may fill the hole if its home is not strictly between the hole and j (cyclically).
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        keys[hole] = keys[j]!;
        this.rows[hole] = this.rows[j]!;
        hole = j;
      }
    }
    keys[hole] = 0;
    this.size--;
    return true;
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    this.keys = new Float64Array(capacity);
    this.rows = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== 0) this.set(oldKeys[i]!, oldRows[i]!);
  }
}

/** Mixes a safe-integer handle's high and low bits into 32 bits. */
function hash(handle: number): number {
  let x = (handle >>> 0) ^ Math.imul((handle / 4294967296) >>> 0, 0x27d4eb2d);
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
