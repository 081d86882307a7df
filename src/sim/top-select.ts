// The k-th largest of a tick's byte counts, for several k at once: what the oracle needs at every
// tick (the threshold of the top `capacity` connections, and how many lie above and at it).
//
// A quickselect per capacity visits every value two or three times with a branch that mispredicts
// half the time. Here one pass counts the values into buckets by the top 16 bits of their IEEE-754
// pattern (sign, exponent, 4 mantissa bits: 16 buckets per octave), which for values >= 0 orders
// them exactly as the numbers do. The bucket holding the k-th largest is found by walking the
// counts from the top; only that bucket's values (a few hundred in a tick of 45,000) go through a
// quickselect. Every k shares the counting pass.
//
//   values  Float64Array  [ v0        | v1        | ... ]
//   words   Uint32Array   [ lo0 | hi0 | lo1 | hi1 | ... ]   the same memory (little-endian)
//   bucket(v) = hi >>> 16;  v < w  =>  bucket(v) <= bucket(w)

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const BUCKETS = 1 << 16;
/** Buckets from here up hold negative values, infinities and NaN: the plain quickselect takes those. */
const FIRST_ODD_BUCKET = 0x7ff0;

export class TopSelector {
  /** Per query: the k-th largest value (NaN when k is not in 1..n-1). */
  threshold = new Float64Array(0);
  /** Per query: how many values are strictly above the threshold. */
  greater = new Float64Array(0);
  /** Per query: how many values equal the threshold (greater + ties >= k). */
  ties = new Float64Array(0);

  private readonly counts = new Uint32Array(BUCKETS);
  private scratch = new Float64Array(1024);
  private words: Uint32Array | undefined;

  /**
   * For every k of `ks`, the k-th largest of values[0..n) and how many values lie above and at it.
   * Queries with k outside 1..n-1 are skipped (threshold NaN): everything or nothing is chosen.
   * `values` is read, never reordered.
   */
  select(values: Float64Array, n: number, ks: ArrayLike<number>): void {
    const q = ks.length;
    if (this.threshold.length < q) {
      this.threshold = new Float64Array(q);
      this.greater = new Float64Array(q);
      this.ties = new Float64Array(q);
    }
    this.threshold.fill(Number.NaN, 0, q);
    let any = false;
    for (let j = 0; j < q; j++) if (ks[j]! >= 1 && ks[j]! < n) any = true;
    if (!any) return;
    if (this.scratch.length < n) this.scratch = new Float64Array(Math.max(n, this.scratch.length * 2));
    if (!LITTLE_ENDIAN || values.byteOffset % 4 !== 0 || !this.bucketed(values, n, ks)) this.plain(values, n, ks);
  }

  /** The bucketed selection; false (nothing decided) when a value is negative, infinite or NaN. */
  private bucketed(values: Float64Array, n: number, ks: ArrayLike<number>): boolean {
    let w = this.words;
    if (!w || w.buffer !== values.buffer || w.byteOffset !== values.byteOffset || w.length < 2 * n)
      w = this.words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    const counts = this.counts;
    const range = countBuckets(w, n, counts);
    const low = range & 0xffff;
    const high = range >>> 16;
    if (high >= FIRST_ODD_BUCKET) {
      counts.fill(0, low, high + 1);
      return false;
    }
    const scratch = this.scratch;
    let gathered = -1;
    let m = 0;
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j]!;
      if (!(k >= 1 && k < n)) continue;
      // Walk down from the top bucket to the one holding the k-th largest.
      let b = high;
      let above = 0;
      while (above + counts[b]! < k) above += counts[b--]!;
      if (b !== gathered) {
        m = gather(values, w, n, b, scratch);
        gathered = b;
      }
      const t = kthLargest(scratch, m, k - above);
      let gt = 0;
      let eq = 0;
      for (let i = 0; i < m; i++) {
        const v = scratch[i]!;
        if (v > t) gt++;
        else if (v === t) eq++;
      }
      this.threshold[j] = t;
      this.greater[j] = above + gt;
      this.ties[j] = eq;
    }
    counts.fill(0, low, high + 1);
    return true;
  }

  /** Quickselect on a copy for every query (any values, any platform). */
  private plain(values: Float64Array, n: number, ks: ArrayLike<number>): void {
    const scratch = this.scratch;
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j]!;
      if (!(k >= 1 && k < n)) continue;
      scratch.set(values.subarray(0, n));
      const t = kthLargest(scratch, n, k);
      let gt = 0;
      let eq = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (v > t) gt++;
        else if (v === t) eq++;
      }
      this.threshold[j] = t;
      this.greater[j] = gt;
      this.ties[j] = eq;
    }
  }
}

// The two passes over a tick's values are functions of their own: inside bucketed, V8 compiled the
// first loop on the stack (OSR) before the code after it had run, and that code then left the
// compiled loop for the interpreter at every tick (some 370 deoptimizations a million run).

/** Counts values[0..n) (as their high words `w`) into `counts` by bucket; returns high << 16 | low. */
function countBuckets(w: Uint32Array, n: number, counts: Uint32Array): number {
  let low = BUCKETS - 1;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const b = w[2 * i + 1]! >>> 16;
    counts[b]!++;
    if (b > high) high = b;
    if (b < low) low = b;
  }
  return ((high << 16) | low) >>> 0;
}

/** Copies the values of bucket b into `into`, in order; returns how many. */
function gather(values: Float64Array, w: Uint32Array, n: number, b: number, into: Float64Array): number {
  let m = 0;
  for (let i = 0; i < n; i++) if (w[2 * i + 1]! >>> 16 === b) into[m++] = values[i]!;
  return m;
}

/**
 * The k-th largest of a[0..n) (1 <= k <= n), reordering a. Quickselect with a three-way partition,
 * so runs of equal values (many flows at one rate) cost no more than distinct ones.
 */
export function kthLargest(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  let want = k - 1; // index in descending order
  for (;;) {
    if (lo === hi) return a[lo]!;
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot.
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    // Descending: [lo, lt) > pivot, [lt, i) == pivot, (gt, hi] < pivot.
    let lt = lo,
      i = lo,
      gt = hi;
    while (i <= gt) {
      const v = a[i]!;
      if (v > pivot) {
        a[i] = a[lt]!;
        a[lt++] = v;
        i++;
      } else if (v < pivot) {
        a[i] = a[gt]!;
        a[gt--] = v;
      } else i++;
    }
    const at = lo + want;
    if (at < lt) {
      hi = lt - 1;
    } else if (at <= gt) return pivot;
    else {
      want = at - (gt + 1);
      lo = gt + 1;
      continue;
    }
    want = at - lo;
  }
}
