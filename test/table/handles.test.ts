// Handles never alias (issue 8 item 1): kind, a 25-bit generation and a 26-bit slot in a safe
// integer, and a slot whose generation is used up retires instead of wrapping. Also interface
// entries going with their last neighbor (item 7).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OffloadTable, ErrorCode, Kind, Reason, State } from '../../src/index.js';
import { throwsCode, offloadedTree } from '../helpers.js';

const test = suite('handles');
const GEN_MAX = 2 ** 25 - 1;

/** Offloads, completes, terminates and frees one neighbor; returns its handle. */
function cycle(t: OffloadTable, ifIndex: number, address: string): number {
  const h = t.offloadNeighbor({ ifIndex, address });
  t.completeOffload([h]);
  t.completeTerminate(t.terminate([h], Reason.Application).handles);
  return h;
}

test('regression (item 1): a slot reused 256 times does not give an old handle to a new object', () => {
  const t = OffloadTable.createSync();
  const old = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  t.completeOffload([old]);
  t.completeTerminate(t.terminate([old], Reason.Application).handles);
  let other = 0;
  for (let i = 1; i <= 256; i++) {
    other = t.offloadNeighbor({ ifIndex: 7, address: `192.168.${i >> 8}.${i & 255}` });
    if (i < 256) t.completeOffload([other], false);
  }
  t.completeOffload([other]);
  assert.is.not(old, other);
  throwsCode(() => t.terminate([old], Reason.Application), ErrorCode.StaleHandle);
  assert.is(t.state(other), State.Offloaded);
  t.check();
});

test('handles are safe integers: kind, generation and slot decode as documented', () => {
  const t = OffloadTable.createSync();
  const tree = offloadedTree(t, 1, 1, 1);
  for (const [h, kind] of [
    [tree.neighbor, Kind.Neighbor],
    [tree.paths[0]!, Kind.Path],
    [tree.connections[0]![0]!, Kind.Connection],
  ] as const) {
    assert.ok(Number.isSafeInteger(h) && h > 0);
    assert.is(Math.floor(h / 2 ** 51), kind);
    assert.is(Math.floor(h / 2 ** 26) % 2 ** 25, 0, 'generation 0 for a fresh slot');
  }
  const again = cycle(t, 2, '10.9.9.9');
  const next = t.offloadNeighbor({ ifIndex: 2, address: '10.9.9.9' });
  assert.is(next % 2 ** 26, again % 2 ** 26, 'the freed slot is reused ...');
  assert.is(Math.floor(next / 2 ** 26) % 2 ** 25, (Math.floor(again / 2 ** 26) % 2 ** 25) + 1, '... with the next generation');
});

test('a slot whose generation is used up retires: never handed out again, its handles stale', () => {
  const t = OffloadTable.createSync();
  const issued = new Set<number>();
  const h = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  const slot = h % 2 ** 26;
  // Put the slot's generation two reuses from the end (a test-only setter), then use it up.
  const aged = t.debugSetGeneration(h, GEN_MAX - 1);
  throwsCode(() => t.state(h), ErrorCode.StaleHandle, /stale/);
  assert.is(t.state(aged), State.Offloading);
  t.completeOffload([aged], false);
  issued.add(aged);
  const last = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.2' });
  assert.is(last % 2 ** 26, slot, 'the slot is reused once more, with the last generation');
  assert.is(Math.floor(last / 2 ** 26) % 2 ** 25, GEN_MAX);
  t.completeOffload([last]);
  t.completeTerminate(t.terminate([last], Reason.Application).handles);
  issued.add(last);
  assert.is(t.retiredSlots(Kind.Neighbor), 1);
  t.check();
  // From now on the slot is never handed out; every handle ever issued stays stale.
  for (let i = 0; i < 50; i++) {
    const n = t.offloadNeighbor({ ifIndex: 1, address: `10.0.1.${i}` });
    assert.is.not(n % 2 ** 26, slot);
    assert.not.ok(issued.has(n));
    issued.add(n);
    if (i % 2) t.completeOffload([n], false);
  }
  for (const old of [h, aged, last]) throwsCode(() => t.describe(old), ErrorCode.StaleHandle);
  t.check();
});

test('the limits are the documented ones and are named when reached', () => {
  const t = OffloadTable.createSync({ maxConnections: 2 });
  const l = t.limits();
  assert.equal([l.maxNeighbors, l.maxPaths, l.maxConnections, l.maxBatch, l.slotReuses], [2 ** 26, 2 ** 26, 2, 2 ** 27, 2 ** 25]);
  const tree = offloadedTree(t, 1, 1, 2);
  throwsCode(
    () => t.offloadConnection({ localPort: 9, remotePort: 9 }, tree.paths[0]!),
    ErrorCode.Capacity,
    /at most 67108864 each; now 67108864 neighbors, 67108864 paths, 2 connections/,
  );
  throwsCode(() => OffloadTable.createSync({ maxConnections: 2 ** 26 + 1 }), ErrorCode.InvalidArgument, /maxConnections/);
});

test('regression (item 7): an interface entry goes with its last neighbor', () => {
  // 40,000 short-lived interface indexes in a small table: each leaves nothing behind.
  const t = OffloadTable.createSync({ maxMemoryBytes: 4 << 20 });
  for (let i = 0; i < 40_000; i++) cycle(t, 1000 + i, '10.0.0.1');
  t.check();
  const n = t.offloadNeighbor({ ifIndex: 5, address: '10.0.0.1' });
  assert.equal([...t.neighborsOn(5)], [n]);
  assert.equal([...t.neighborsOn(1000)], []);
  t.check();
});

test.run();
