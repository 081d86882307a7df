// RateChanges (src/host/rate-changes.ts): the queue of standing-rate changes the host owes a target.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RateChanges } from '../../src/host/rate-changes.js';
import { withFailingAllocation } from '../helpers.js';

const test = suite('rate changes');

const taken = (h: Float64Array, s: Float64Array, r: Float64Array, n: number): number[][] => Array.from({ length: n }, (_, i) => [h[i]!, s[i]!, r[i]!]);

test('flush hands over every change in the order queued (growing past its first arrays), then the queue is empty', () => {
  const q = new RateChanges();
  for (let i = 0; i < 200; i++) q.add(2 ** 52 + i, i, 2 * i);
  q.add(2 ** 52, 0, 0); // a stop after a start of the same handle: both, in order
  const calls: number[][][] = [];
  q.flush((h, s, r, n) => calls.push(taken(h, s, r, n)));
  assert.is(calls.length, 1);
  assert.is(calls[0]!.length, 201);
  assert.equal(calls[0]![0], [2 ** 52, 0, 0]);
  assert.equal(calls[0]![199], [2 ** 52 + 199, 199, 398]);
  assert.equal(calls[0]![200], [2 ** 52, 0, 0]);
  assert.is(q.count, 0);
  q.flush(() => assert.unreachable('an empty queue calls nothing'));
});

test('a target that queues and flushes again from inside the call never sees its arrays change', () => {
  const q = new RateChanges();
  q.add(1, 10, 20);
  q.add(2, 30, 40);
  const inner: number[][][] = [];
  let outer: number[][] = [];
  q.flush((h, s, r, n) => {
    q.add(3, 50, 60);
    q.flush((h2, s2, r2, n2) => inner.push(taken(h2, s2, r2, n2)));
    outer = taken(h, s, r, n);
  });
  assert.equal(outer, [
    [1, 10, 20],
    [2, 30, 40],
  ]);
  assert.equal(inner, [[[3, 50, 60]]]);
});

test('what the target throws reaches the caller, and the queue is empty and usable after it', () => {
  const q = new RateChanges();
  q.add(1, 1, 1);
  assert.throws(
    () =>
      q.flush(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.is(q.count, 0);
  q.add(2, 2, 2);
  let got: number[][] = [];
  q.flush((h, s, r, n) => (got = taken(h, s, r, n)));
  assert.equal(got, [[2, 2, 2]]);
});

test('regression: a growth that fails (the second array) leaves the queue as it was: later changes are all handed over', () => {
  const q = new RateChanges();
  for (let i = 0; i < 1024; i++) q.add(i + 1, i, 1);
  assert.throws(() => withFailingAllocation(2, () => q.add(5000, 1, 1)), /allocation failed/);
  for (let i = 0; i < 10; i++) q.add(6000 + i, 3, 4);
  const got: number[][][] = [];
  q.flush((h, s, r, n) => got.push(taken(h, s, r, n)));
  assert.is(got[0]!.length, 1034);
  assert.equal(got[0]![1033], [6009, 3, 4]);
});

test.run();
