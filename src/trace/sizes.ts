// The flow-size distribution in fixed memory: a log-scale histogram (8 buckets per doubling) that
// also keeps each bucket's largest size, so CDF points name sizes that occurred.

const PER_DOUBLING = 8;
const BUCKETS = PER_DOUBLING * 64 + 2;

export class FlowSizes {
  readonly counts = new Float64Array(BUCKETS);
  readonly max = new Float64Array(BUCKETS);
  total = 0;

  add(bytes: number): void {
    const b = bytes < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(PER_DOUBLING * Math.log2(bytes)));
    this.counts[b]!++;
    if (bytes > this.max[b]!) this.max[b] = bytes;
    this.total++;
  }

  /**
   * CDF points `[bytes, percent]` in the form of scenarios/*.cdf: both columns increasing, the
   * last at 100. Keeps a point each time the cumulative percentage passes another `step` percent.
   */
  cdf(step = 5): [number, number][] {
    const points: [number, number][] = [[0, 0]];
    if (this.total === 0) return points;
    let seen = 0;
    let lastKept = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = this.counts[b]!;
      if (c === 0) continue;
      seen += c;
      const pct = (100 * seen) / this.total;
      const last = seen === this.total;
      if (last || Math.floor(pct / step) > Math.floor(lastKept / step)) {
        const x = this.max[b]!;
        const y = last ? 100 : Math.round(pct * 100) / 100;
        if (x === points[points.length - 1]![0]) points[points.length - 1]![1] = y;
        else points.push([x, y]);
        lastKept = pct;
      }
    }
    return points;
  }
}

/** The `.cdf` file text: one `<bytes> <percent>` line per point. */
export function formatCdf(points: readonly [number, number][]): string {
  return points.map(([x, y]) => `${x} ${y}`).join('\n') + '\n';
}
