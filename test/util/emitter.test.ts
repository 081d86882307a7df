// The emitter: on, once, off; a listener that throws is reported as an 'error' event and does not
// stop the other listeners.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Emitter } from '../../src/util/emitter.js';

interface Events extends Record<string, unknown> {
  ping: number;
  error: { message: string; fault?: string; error?: unknown };
}
class Host extends Emitter<Events> {
  fire<K extends keyof Events>(name: K, e: Events[K]) {
    this.emit(name, e);
  }
}

const test = suite('emitter');

test('on, once and off', () => {
  const h = new Host();
  const seen: string[] = [];
  const off = h.on('ping', (n) => seen.push(`on${n}`));
  h.once('ping', (n) => seen.push(`once${n}`));
  h.fire('ping', 1);
  h.fire('ping', 2);
  off();
  h.fire('ping', 3);
  assert.equal(seen, ['on1', 'once1', 'on2']);
});

test("a listener that throws becomes an 'error' event; the others still run", () => {
  const h = new Host();
  const seen: unknown[] = [];
  h.on('ping', () => {
    throw new Error('bad listener');
  });
  h.on('ping', (n) => seen.push(n));
  h.on('error', (e) => seen.push(e.fault, e.message));
  h.fire('ping', 7);
  assert.equal(seen, ['listener', "a 'ping' listener threw: Error: bad listener", 7]);
});

test('a listener added during an emit runs from the next one', () => {
  const h = new Host();
  const seen: number[] = [];
  h.on('ping', () => void h.on('ping', (n) => seen.push(n)));
  h.fire('ping', 1);
  assert.equal(seen, []);
  h.fire('ping', 2);
  assert.equal(seen, [2]);
});

test.run();
