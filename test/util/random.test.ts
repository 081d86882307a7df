// The seeded generator: the same seed replays, values are in [0, 1) and spread evenly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../../src/index.js';

const test = suite('random');

test('same seed, same sequence; another seed, another one', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 100 }, () => a());
  assert.equal(
    Array.from({ length: 100 }, () => b()),
    xs,
  );
  assert.not.equal(
    Array.from({ length: 100 }, () => c()),
    xs,
  );
});

test('the same numbers as mulberry32 as published (state as a uint32), seed for seed', () => {
  const published = (seed: number) => {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };
  for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 2 ** 32 - 1]) {
    const ours = seededRandom(seed);
    const theirs = published(seed);
    for (let i = 0; i < 20_000; i++) assert.is(ours(), theirs(), `seed ${seed}, draw ${i}`);
  }
});

test('values in [0, 1), about evenly spread over ten bins', () => {
  const r = seededRandom(7);
  const bins = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
    bins[Math.floor(x * 10)]!++;
  }
  for (const n of bins) assert.ok(n > 9_500 && n < 10_500, `bin of ${n}`);
});

test.run();
