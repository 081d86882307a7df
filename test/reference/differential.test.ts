// Core vs reference on random operation sequences (see differential.ts). A fast run; the long one
// is `npm run fuzz`. A failure prints fast-check's seed and path, and a shrunk counterexample.
import { suite } from 'uvu';
import fc from 'fast-check';
import { agreementProperty } from './differential.js';

const test = suite('differential');
const seed = process.env.SEED ? Number(process.env.SEED) : undefined;

test('core and reference agree on random sequences of every operation', () => {
  fc.assert(agreementProperty({ big: false, maxOps: 60 }), { numRuns: 300, seed });
});

test('they agree while memory grows in the middle of batches (64 KiB to start)', () => {
  fc.assert(agreementProperty({ big: true, maxOps: 25, coreOptions: { initialMemoryBytes: 65536 } }), { numRuns: 20, seed });
});

test('under an exhausted memory cap the core refuses whole operations and still agrees', () => {
  fc.assert(agreementProperty({ big: true, maxOps: 25, coreOptions: { maxMemoryBytes: 1 << 20 } }), { numRuns: 30, seed });
});

test.run();
