// TargetEvents.deliveredBatch on the HostStack: the same as delivered() called for each entry in
// order (same `delivered` events, same error events for bad entries), and a malformed call is one
// error event that changes nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HostStack, type HostEvents } from '../../src/index.js';
import { FaultyTarget } from './faulty-target.js';

const test = suite('host: deliveredBatch');

async function world() {
  const target = new FaultyTarget({ capacity: 10 });
  const host = await HostStack.create({ target, policy: { lowActivity: false } });
  const delivered: HostEvents['delivered'][] = [];
  const errors: string[] = [];
  host.on('delivered', (e) => delivered.push(e));
  host.on('error', (e) => errors.push(`${e.fault} ${e.message}`));
  const c = [];
  for (let i = 1; i <= 2; i++) {
    const h = await host.offload({ ifIndex: 1, nextHop: '10.1.0.1', source: '10.1.0.2', destination: `192.0.2.${i}`, localPort: 40000 + i, remotePort: 443 });
    assert.ok(h);
    c.push(h);
  }
  return { host, target, delivered, errors, c };
}

test('one call is the same as delivered() per entry, in order, bad entries included', async () => {
  const one = await world();
  const batch = await world();
  assert.equal(batch.c, one.c);
  const [c1, c2] = one.c as [number, number];
  const entries: [number, number][] = [
    [c1, 5],
    [99_999, 5],
    [c2, -1],
    [c2, 7],
    [c1, 1.5],
    [c1, 3],
  ];
  for (const [h, b] of entries) one.target.host.delivered(h, b);
  batch.target.host.deliveredBatch!(
    Float64Array.from(entries, (e) => e[0]),
    Float64Array.from(entries, (e) => e[1]),
    entries.length,
  );
  assert.equal(batch.delivered, one.delivered);
  assert.equal(one.delivered, [
    { handle: c1, bytes: 5 },
    { handle: c2, bytes: 7 },
    { handle: c1, bytes: 3 },
  ]);
  assert.equal(batch.errors, one.errors);
  assert.is(one.errors.length, 3);
});

test('a malformed call is one error event and delivers nothing', async () => {
  const w = await world();
  const c1 = w.c[0]!;
  const calls: [string, () => void][] = [
    ['plain arrays', () => w.target.host.deliveredBatch!([c1] as never, [5] as never, 1)],
    ['count past the arrays', () => w.target.host.deliveredBatch!(Float64Array.of(c1), Float64Array.of(5), 2)],
    ['negative count', () => w.target.host.deliveredBatch!(Float64Array.of(c1), Float64Array.of(5), -1)],
    ['count not a number', () => w.target.host.deliveredBatch!(Float64Array.of(c1), Float64Array.of(5), '1' as never)],
  ];
  for (const [what, call] of calls) {
    const before = w.errors.length;
    call();
    assert.is(w.errors.length, before + 1, what);
    assert.match(w.errors.at(-1)!, /^indication the target's deliveredBatch indication was ignored/, what);
  }
  assert.equal(w.delivered, []);
});

test.run();
