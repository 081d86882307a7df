// HandleIndex against a Map: random sets, gets and deletes (fast-check), including handles that
// differ only in their high bits and long churn that exercises backward-shift deletion.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { HandleIndex } from '../../src/target/handle-index.js';

const test = suite('handle index');

const handle = fc.oneof(
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 1, max: 2 ** 53 - 1 }),
  fc.integer({ min: 1, max: 8 }).map((k) => k * 2 ** 32 + 5), // same low bits, different high bits
);
const op = fc.oneof(
  fc.tuple(fc.constant('set' as const), handle, fc.integer({ min: 0, max: 1e6 })),
  fc.tuple(fc.constant('delete' as const), handle, fc.constant(0)),
  fc.tuple(fc.constant('get' as const), handle, fc.constant(0)),
);

test('behaves as a Map from handle to row', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
      const index = new HandleIndex();
      const model = new Map<number, number>();
      for (const [kind, h, row] of ops) {
        if (kind === 'set') {
          index.set(h, row);
          model.set(h, row);
        } else if (kind === 'delete') {
          assert.is(index.delete(h), model.delete(h));
        } else {
          assert.is(index.get(h), model.get(h) ?? -1);
        }
      }
      for (const [h, row] of model) assert.is(index.get(h), row);
    }),
    { numRuns: 200 },
  );
});

test('churn: a million sets and deletes through a small live set', () => {
  const index = new HandleIndex();
  const live: number[] = [];
  let next = 1;
  for (let i = 0; i < 1_000_000; i++) {
    if (live.length < 5000 || i % 2) {
      index.set(next, next % 977);
      live.push(next++);
    } else {
      const h = live.splice((i * 7919) % live.length, 1)[0]!;
      assert.ok(index.delete(h));
      if (i % 1000 === 0) assert.is(index.get(h), -1);
    }
  }
  for (const h of live) assert.is(index.get(h), h % 977);
});

test.run();
