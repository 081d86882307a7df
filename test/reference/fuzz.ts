// The long fuzz runs: `npm run fuzz`. First core vs reference (FUZZ_OPS operations, default
// 1,000,000; SEED to replay), then the churn fuzz (CHURN_CYCLES, default 1,000,000; see churn.ts).
// Rounds of 200 sequences until the target is reached; every tenth round uses big batches (memory
// growth mid-batch). Prints progress and the seed; exits non-zero on a divergence, with fast-check's
// shrunk counterexample and the round's seed to replay it.
import fc from 'fast-check';
import { Pair, opArbitrary } from './differential.js';
import { churn } from '../table/churn.js';

const target = Number(process.env.FUZZ_OPS ?? 1_000_000);
const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31);
const started = Date.now();
let ops = 0;
let runs = 0;
let largest = 0;

console.log(`fuzz: core vs reference, ${target.toLocaleString('en-US')} operations, seed ${seed}`);
for (let round = 0; ops < target; round++) {
  const big = round % 10 === 9;
  const sequences = fc.array(opArbitrary(big), { minLength: big ? 5 : 50, maxLength: big ? 25 : 400, size: 'max' });
  const property = fc.property(sequences, (list) => {
    const pair = new Pair(big ? { initialMemoryBytes: 65536 } : undefined);
    for (const o of list) pair.step(o);
    ops += list.length;
    runs++;
    largest = Math.max(largest, pair.core.count(1) + pair.core.count(2) + pair.core.count(3));
  });
  fc.assert(property, { seed: seed + round, numRuns: big ? 20 : 200 });
  console.log(
    `  round ${round} (seed ${seed + round}${big ? ', big batches' : ''}): ${ops.toLocaleString('en-US')} operations, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}
console.log(
  `fuzz: ${ops.toLocaleString('en-US')} operations in ${runs} sequences agreed (largest table ${largest.toLocaleString('en-US')} objects), ` +
    `seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

const cycles = Number(process.env.CHURN_CYCLES ?? 1_000_000);
const churnStarted = Date.now();
console.log(`churn: ${cycles.toLocaleString('en-US')} offload/terminate cycles on a small table, seed ${seed}`);
const r = churn(cycles, seed, (done) => {
  if (done % 100_000 === 0) console.log(`  ${done.toLocaleString('en-US')} cycles, ${((Date.now() - churnStarted) / 1000).toFixed(0)} s`);
});
console.log(
  `churn: ${r.cycles.toLocaleString('en-US')} cycles, ${r.issued.toLocaleString('en-US')} handles issued (none twice), ` +
    `${r.probes.toLocaleString('en-US')} probes of freed handles (all stale), ${r.retired.toLocaleString('en-US')} slots retired, ` +
    `seed ${seed}, ${((Date.now() - churnStarted) / 1000).toFixed(1)} s`,
);

// Then the faulty-target fuzz of HostStack (test/host/fuzz.ts): HOST_FUZZ_STEPS steps (default 20,000).
const { longHostFuzz } = await import('../host/fuzz.js');
await longHostFuzz(seed, Number(process.env.HOST_FUZZ_STEPS ?? 20_000));
