// The long differential run: `npm run fuzz` (FUZZ_OPS operations, default 1,000,000; SEED to replay).
// Prints progress, the seed, and the total of operations compared; exits non-zero on a divergence.
import fc from 'fast-check';
import { Pair, opArbitrary } from './differential.js';

const target = Number(process.env.FUZZ_OPS ?? 1_000_000);
const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31);
const started = Date.now();
let ops = 0;
let runs = 0;
let largest = 0;

console.log(`fuzz: core vs reference, ${target.toLocaleString('en-US')} operations, seed ${seed}`);
const sequences = fc.array(opArbitrary(false), { minLength: 50, maxLength: 400, size: 'max' });
const property = fc.property(sequences, (list) => {
  const pair = new Pair();
  for (const o of list) pair.step(o);
  ops += list.length;
  runs++;
  largest = Math.max(largest, pair.core.count(3) + pair.core.count(2) + pair.core.count(1));
  if (runs % 200 === 0) console.log(`  ${ops.toLocaleString('en-US')} operations in ${runs} sequences, ${((Date.now() - started) / 1000).toFixed(0)} s`);
});
// Each fc.assert shrinks and reports its own failure; numRuns is sized so the total reaches target.
const perRun = 225;
fc.assert(property, { seed, numRuns: Math.ceil(target / perRun) });
console.log(`fuzz: ${ops.toLocaleString('en-US')} operations in ${runs} sequences agreed (largest table ${largest} objects), ` +
  `seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
