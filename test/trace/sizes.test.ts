// The flow-size histogram and its CDF: exact where it can be, and a trace written from a CDF gives
// that CDF back (what `trace --cdf` is for).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseCdf, sampleCdf } from '../../src/sim/cdf.js';
import { FlowSizes, formatCdf } from '../../src/trace/sizes.js';
import { synthesize } from '../../src/trace/synthetic.js';

const test = suite('trace: flow sizes');

test('points are increasing, end at 100, and name sizes that occurred', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 300 }), (sizes) => {
      const h = new FlowSizes();
      for (const s of sizes) h.add(s);
      const cdf = h.cdf();
      assert.is(cdf[0]![0], 0);
      assert.is(cdf[cdf.length - 1]![1], 100);
      assert.is(cdf[cdf.length - 1]![0], Math.max(...sizes));
      for (let i = 1; i < cdf.length; i++) {
        assert.ok(cdf[i]![0] > cdf[i - 1]![0] && cdf[i]![1] >= cdf[i - 1]![1]);
        assert.ok(sizes.includes(cdf[i]![0]), 'a size that occurred');
        // The percentage at a point counts at least the flows up to that size (bucket-exact).
        const share = (100 * sizes.filter((s) => s <= cdf[i]![0]).length) / sizes.length;
        assert.ok(share >= cdf[i]![1] - 0.01, `${share} >= ${cdf[i]![1]}`);
      }
      // Flows of 0 bytes only give one point, which is no CDF: the trace command refuses to write it.
      if (Math.max(...sizes) === 0) assert.equal(cdf, [[0, 100]]);
      else assert.equal(parseCdf(formatCdf(cdf)), cdf);
    }),
    { numRuns: 200, examples: [[[0]], [[0, 0, 0]]] },
  );
});

test('a workload drawn from websearch.cdf gives websearch.cdf back (within 3 percentage points)', () => {
  const ws = parseCdf(readFileSync(new URL('../../scenarios/websearch.cdf', import.meta.url), 'utf8'));
  const h = new FlowSizes();
  synthesize(
    { connections: 4000, concurrency: 4000, cdf: ws, seed: 8 },
    () => {},
    (c) => h.add(c.received + c.sent),
  );
  const got = h.cdf(2);
  for (const [x, y] of got.slice(1, -1)) {
    // Where the published CDF puts this size (requests add at most 2,000 bytes).
    let lo = 0;
    while (lo < 100 && sampleCdf(ws, (lo + 1) / 100) <= x - 2000) lo++;
    let hi = 0;
    while (hi < 100 && sampleCdf(ws, (hi + 1) / 100) <= x) hi++;
    assert.ok(y >= lo - 3 && y <= hi + 3, `${x} bytes: ${y}% (published ${lo}..${hi}%)`);
  }
});

test.run();
