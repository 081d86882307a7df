// grown: a column that already holds enough comes back as it is; a short one is copied into one at
// least twice as long, of the same type, with its entries kept.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grown } from '../../src/util/grown.js';

const test = suite('util/grown');

test('enough room: the same array', () => {
  const a = new Uint32Array(8);
  assert.is(grown(a, 8), a);
});

test('too short: a longer copy of the same type, entries kept, at least doubled', () => {
  const a = Float64Array.of(1.5, 2.5, 3.5);
  const b = grown(a, 4);
  assert.instance(b, Float64Array);
  assert.is(b.length, 6);
  assert.equal([...b.subarray(0, 3)], [1.5, 2.5, 3.5]);
  assert.is(grown(new Uint8Array(2), 100).length, 100);
});

test.run();
