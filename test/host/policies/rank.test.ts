// best(): the k best of n, best first, against a full sort.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { best } from '../../../src/host/policies/rank.js';

const test = suite('rank');

test('the k best, best first, equal to sorting (distinct keys)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 300 }), fc.nat(320), (keys, k) => {
      const items = keys.map((_, i) => i);
      const before = (a: number, b: number) => keys[a]! > keys[b]!;
      const expected = [...items].sort((a, b) => keys[b]! - keys[a]!).slice(0, k);
      assert.equal(Array.from(best(items, items.length, k, before)), expected);
    }),
  );
});

test('n limits the items read; k 0 gives nothing', () => {
  assert.equal(Array.from(best([5, 1, 9, 7], 2, 5, (a, b) => a > b)), [5, 1]);
  assert.is(best([1, 2], 2, 0, (a, b) => a > b).length, 0);
});

test.run();
