// Policy options against a schema: defaults, and every problem reported at once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { optionProblems, readOptions, type PolicySchema } from '../../../src/host/policies/options.js';

const test = suite('policy options');
const schema = {
  n: { type: 'integer', min: 1, max: 10, default: 3, description: 'n' },
  x: { type: 'number', min: 0, default: 0.5, description: 'x' },
  on: { type: 'boolean', default: false, description: 'on' },
} satisfies PolicySchema;

test('defaults fill what is not given', () => {
  assert.equal(readOptions('p', schema, undefined), { n: 3, x: 0.5, on: false });
  assert.equal(readOptions('p', schema, { x: 2, on: true }), { n: 3, x: 2, on: true });
});

test('every problem, one line each', () => {
  assert.equal(optionProblems(schema, { n: 11, x: Number.NaN, on: 'no', extra: 1 }), [
    'extra: not an option (known: n, x, on)',
    'n: must be an integer in 1..10, got number 11',
    'x: must be a number at least 0, got number NaN',
    'on: must be true or false, got the string "no"',
  ]);
  assert.equal(optionProblems(schema, [1]), ['options must be an object, got an array']);
  assert.equal(optionProblems(schema, { n: 2.5 }), ['n: must be an integer in 1..10, got number 2.5']);
});

test.run();
