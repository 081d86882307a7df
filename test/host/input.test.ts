// Batch arguments of open/traffic/close: counts, lengths, and one read of each entry.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Scratch } from '../../src/host/input.js';
import { batchCount, readIntegers } from '../../src/table/validate.js';
import { ErrorCode } from '../../src/index.js';
import { throwsCode, withFailingAllocation } from '../helpers.js';

const test = suite('host batch input');

test('count: the given one up to the shortest array, else the common length', () => {
  assert.is(
    batchCount('op', undefined, [
      ['a', [1, 2]],
      ['b', new Float64Array(2)],
    ]),
    2,
  );
  assert.is(
    batchCount('op', 1, [
      ['a', [1, 2]],
      ['b', new Float64Array(5)],
    ]),
    1,
  );
  throwsCode(
    () =>
      batchCount('op', undefined, [
        ['a', [1, 2]],
        ['b', [1]],
      ]),
    ErrorCode.InvalidArgument,
    /a, b must have the same length.*2, 1/,
  );
  throwsCode(() => batchCount('op', 3, [['a', [1, 2]]]), ErrorCode.InvalidArgument, /count must be an integer 0\.\.2/);
  throwsCode(() => batchCount('op', undefined, [['a', new DataView(new ArrayBuffer(4))]]), ErrorCode.InvalidArgument, /a must be an array/);
});

test('each entry is read once, even from an array whose getters change their answer', () => {
  let reads = 0;
  const tricky = new Proxy([1, 2, 3], {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) return ++reads > 3 ? -1 : Reflect.get(target, key, receiver);
      return Reflect.get(target, key, receiver);
    },
  });
  const out = new Float64Array(3);
  readIntegers('op', 'x', tricky, 3, out, 0, 10);
  assert.equal([...out], [1, 2, 3]);
  assert.is(reads, 3);
  throwsCode(() => readIntegers('op', 'x', [1, 11], 2, out, 0, 10), ErrorCode.InvalidArgument, /x\[1\] must be an integer 0\.\.10, got number 11/);
});

test('scratch grows to fit and keeps its arrays otherwise', () => {
  const s = new Scratch();
  const before = s.f64a;
  s.ensure(10);
  assert.is(s.f64a, before);
  s.ensure(5000);
  assert.ok(s.f64a.length >= 5000 && s.u32.length >= 5000);
});

test('scratch that cannot grow throws OutOfMemory and keeps every array as it was (none grown alone)', () => {
  for (const fail of [1, 2, 3, 4]) {
    const s = new Scratch();
    const before = [s.f64a, s.f64b, s.f64c, s.u32, s.records];
    throwsCode(() => withFailingAllocation(fail, () => s.ensure(5000)), ErrorCode.OutOfMemory, /5,000 entries/);
    assert.equal([s.f64a, s.f64b, s.f64c, s.u32, s.records], before, `allocation ${fail} failed`);
    s.ensure(5000);
    assert.ok(s.f64a.length >= 5000 && s.f64b.length >= 5000 && s.f64c.length >= 5000 && s.u32.length >= 5000 && s.records.length >= 4 * 5000);
  }
});

test.run();
