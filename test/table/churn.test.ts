// A short churn run (see churn.ts); the long one is part of `npm run fuzz` (CHURN_CYCLES).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { churn } from './churn.js';

const test = suite('churn');
const seed = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31;

test(`10,000 offload/terminate cycles: no handle twice, every freed one stale, slots retire (seed ${seed})`, () => {
  const r = churn(10_000, seed);
  assert.ok(r.retired > 0, 'some slots retired');
  assert.ok(r.issued > 20_000);
});

test.run();
