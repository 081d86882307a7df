// ManualClock: moves forward only, tells subscribers in order, survives a subscriber that throws.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, ErrorCode } from '../../src/index.js';
import { throwsCode } from '../helpers.js';

const test = suite('clock');

test('advance moves forward and tells every subscriber; going back does nothing', () => {
  const clock = new ManualClock(5);
  const seen: string[] = [];
  const off = clock.subscribe((now) => seen.push(`a${now}`));
  clock.subscribe((now) => seen.push(`b${now}`));
  clock.advance(10);
  clock.advance(7);
  clock.advance(10);
  off();
  clock.advance(12);
  assert.equal(seen, ['a10', 'b10', 'b12']);
  assert.is(clock.now, 12);
});

test('a subscriber that throws does not stop the others; the error comes back once all ran', () => {
  const clock = new ManualClock();
  const seen: number[] = [];
  clock.subscribe(() => {
    throw new Error('first');
  });
  clock.subscribe((now) => seen.push(now));
  assert.throws(() => clock.advance(3), /first/);
  assert.equal(seen, [3]);
  assert.is(clock.now, 3);
});

test('bad times and listeners are refused', () => {
  const clock = new ManualClock();
  throwsCode(() => clock.advance(NaN), ErrorCode.InvalidArgument, /finite time/);
  throwsCode(() => clock.advance(Infinity), ErrorCode.InvalidArgument);
  throwsCode(() => new ManualClock('0' as never), ErrorCode.InvalidArgument);
  throwsCode(() => clock.subscribe(5 as never), ErrorCode.InvalidArgument, /function/);
});

test.run();
