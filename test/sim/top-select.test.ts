// The k-th largest for several k at once, checked against a sort: bucketed (values >= 0) and the
// plain quickselect it falls back to (negative values, infinities, NaN).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { kthLargest, TopSelector } from '../../src/sim/top-select.js';

const test = suite('sim/top-select');

/** What select() must say for k, computed the obvious way. */
function bySort(xs: number[], k: number) {
  const t = [...xs].sort((a, b) => b - a)[k - 1]!;
  return { threshold: t, greater: xs.filter((x) => x > t).length, ties: xs.filter((x) => x === t).length };
}

function check(xs: number[], ks: number[], selector = new TopSelector()) {
  const values = new Float64Array(xs.length + 3).fill(-7); // entries past n are not read
  values.set(xs);
  const copy = values.slice();
  selector.select(values, xs.length, ks);
  assert.equal(values, copy, 'values are not reordered');
  ks.forEach((k, j) => {
    if (k >= 1 && k < xs.length) {
      const got = { threshold: selector.threshold[j], greater: selector.greater[j], ties: selector.ties[j] };
      assert.equal(got, bySort(xs, k), `k=${k} of ${JSON.stringify(xs)}`);
    } else assert.ok(Number.isNaN(selector.threshold[j]), `k=${k} is skipped`);
  });
}

test('agrees with a sort: integers with many ties, several k, one selector reused', () => {
  const selector = new TopSelector();
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 3_000_000 })), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: -1, max: 320 }), { minLength: 1, maxLength: 6 }),
      (xs, ks) => check(xs, ks, selector),
    ),
    { numRuns: 500 },
  );
});

test('agrees with a sort: any doubles (negative, huge, infinite, NaN-free), so the fallback too', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 200 }),
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 4 }),
      (xs, ks) => check(xs, ks),
    ),
    { numRuns: 300 },
  );
});

test('one bucket holding everything, and values spread over every octave', () => {
  check(
    Array.from({ length: 5000 }, () => 1234),
    [1, 17, 4999],
  );
  check(
    Array.from({ length: 5000 }, (_, i) => 2 ** (i % 60) + i),
    [1, 2500, 4999],
  );
});

test('kthLargest agrees with a sort, with many equal values', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 200 }), fc.nat(), (xs, k0) => {
      const k = 1 + (k0 % xs.length);
      const want = [...xs].sort((a, b) => b - a)[k - 1];
      assert.is(kthLargest(Float64Array.from(xs), xs.length, k), want);
    }),
    { numRuns: 500 },
  );
});

test.run();
