// Traffic counters, the low-activity tick, victim order and cached-variable updates, proven of the
// core and of the reference model.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, Kind, OffloadTable, Reason, State } from '../../src/index.js';
import { recordCountedTraffic } from '../../src/table/table.js';
import { implementations, throwsCode, offloadedTree, snapshot, sorted, type Table } from '../helpers.js';

for (const [name, create] of implementations) {
  const test = suite<{ t: Table }>(`traffic (${name})`);
  test.before.each((ctx) => {
    ctx.t = create();
  });
  test.after.each((ctx) => {
    ctx.t.check();
  });

  const policy = { thresholdBytesPerSecond: 1000, windowMs: 1000, quietMs: 3000 };

  test('tick returns the Offloaded connections that stayed under the threshold long enough', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 3);
    const [busy, quiet, late] = tree.connections[0]! as [number, number, number];
    assert.equal([...t.tick(0, policy)], [], 'the first tick starts the clock');
    for (let now = 1000; now <= 2000; now += 1000) {
      t.recordTraffic(busy, 3000, 1000);
      t.recordTraffic(late, 5000);
      assert.equal([...t.tick(now, policy)], []);
    }
    t.recordTraffic(busy, 4000);
    assert.equal([...t.tick(3000, policy)], [quiet], 'quiet from 0 to 3,000 ms');
    const decaying = t.describe(late).traffic!;
    assert.ok(decaying.rate > 1000 && decaying.rate < 5000, 'the average decays, but not at once');
    assert.is(decaying.quietMs, 0);
    t.recordTraffic(busy, 4000);
    assert.equal([...t.tick(4000, policy)], [quiet], 'and still quiet: returned at every tick until terminated');
    const info = t.describe(busy).traffic!;
    assert.is(info.rate, 4000);
    assert.is(info.quietMs, 0);
    assert.is(t.describe(late).traffic!.quietMs, 1000, 'under the threshold since the last tick');
    assert.is(t.describe(quiet).traffic!.quietMs, 4000);
  });

  test('tick averages with alpha = 1 - exp(-dt / window) and rounds like a float32', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    const c = tree.connections[0]![0]!;
    t.tick(0, policy);
    t.recordTraffic(c, 10_000);
    t.tick(1000, policy); // first sample: 10,000 B/s
    t.tick(1500, policy); // no traffic for 500 ms
    const alpha = 1 - Math.exp(-500 / 1000);
    assert.is(t.describe(c).traffic!.rate, Math.fround(10_000 + alpha * (0 - 10_000)));
  });

  test('only Offloaded, not pending connections are measured and returned', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 2);
    const inFlight = t.offloadConnection({ localPort: 7, remotePort: 7 }, tree.paths[0]!);
    t.terminate([tree.connections[0]![0]!], Reason.Application);
    t.tick(0, { ...policy, quietMs: 0 });
    assert.equal([...t.tick(10, { ...policy, quietMs: 0 })], [tree.connections[0]![1]]);
    assert.is(t.describe(inFlight).traffic!.rate, -1);
  });

  test('time must not go back; policies are validated', ({ t }) => {
    t.tick(100);
    const before = snapshot(t);
    throwsCode(() => t.tick(50), ErrorCode.InvalidArgument, /before the previous tick/);
    throwsCode(() => t.tick(NaN), ErrorCode.InvalidArgument, /finite/);
    throwsCode(() => t.tick(200, { windowMs: 0 }), ErrorCode.InvalidArgument, /windowMs/);
    throwsCode(() => t.tick(200, { quiet: 5 } as never), ErrorCode.InvalidArgument, /unknown policy field 'quiet'/);
    assert.is(snapshot(t), before);
    assert.equal([...t.tick(100)], [], 'no time passed: nothing to fold');
  });

  test('victims: strictly lower priority, lowest first, least recently active first', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 0);
    const p = tree.paths[0]!;
    const c = (port: number, priority: number) => t.offloadConnection({ localPort: port, remotePort: 1, priority }, p);
    const a = c(1, 2);
    const b = c(2, 1);
    const d = c(3, 1);
    const e = c(4, 5);
    t.completeOffload([a, b, d, e]);
    assert.equal([...t.chooseVictims(10, 5)], [b, d, a], 'priority 1 (b before d: offloaded first), then 2; never e');
    t.recordTraffic(b, 1);
    assert.equal([...t.chooseVictims(10, 5)], [d, b, a], 'activity makes b the most recent of its priority');
    assert.equal([...t.chooseVictims(1, 2)], [d]);
    assert.equal([...t.chooseVictims(5, 1)], [], 'nothing below priority 1');
    assert.equal([...t.chooseVictims(0, 256)], []);
    t.terminate([d], Reason.HigherPriority);
    const fresh = c(5, 0); // Offloading: not a victim until its initiate completes
    assert.equal([...t.chooseVictims(10, 256)], [b, a, e]);
    t.completeOffload([fresh]);
    assert.equal([...t.chooseVictims(10, 256)], [fresh, b, a, e]);
  });

  test('traffic is validated and all-or-none in a batch', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 2);
    const [c1, c2] = tree.connections[0]! as [number, number];
    const before = snapshot(t);
    throwsCode(() => t.recordTraffic(tree.paths[0]!, 5), ErrorCode.WrongKind, /not a connection/);
    throwsCode(() => t.recordTraffic(c1, -5), ErrorCode.InvalidArgument, /sentBytes/);
    throwsCode(() => t.recordTraffic(c1, 1, 2 ** 32), ErrorCode.InvalidArgument, /receivedBytes/);
    const e = throwsCode(() => t.recordTrafficBatch([c1, c2, 3 * 2 ** 51 + 99], [1, 2, 3]), ErrorCode.StaleHandle);
    assert.is(e.index, 2);
    throwsCode(() => t.recordTrafficBatch([c1, c2], [1]), ErrorCode.InvalidArgument, /sentBytes has 1 entries/);
    assert.is(snapshot(t), before);
    t.recordTrafficBatch(Float64Array.from([c1, c2, c1]), Uint32Array.from([10, 20, 30]), Uint32Array.from([1, 2, 3]));
    assert.is(t.describe(c1).traffic!.bytes, 44);
    t.recordTraffic(c2, 2 ** 32 - 1, 0);
    assert.is(t.describe(c2).traffic!.bytes, 2 ** 32 - 1, 'saturates');
  });

  test('typed-array batches of shrinking and growing sizes, one bad: each counted from its own entries only', ({ t }) => {
    // The core's table reads typed-array batches into buffers it reuses: a shorter batch after a
    // longer one must not see the longer one's tail, and a bad one must leave the counters alone.
    const tree = offloadedTree(t, 1, 1, 3);
    const [c1, c2, c3] = tree.connections[0]! as [number, number, number];
    t.recordTrafficBatch(Float64Array.from([c1, c2, c3]), Float64Array.from([100, 200, 300]));
    t.recordTrafficBatch(Float64Array.from([c2]), Uint32Array.from([5]), Uint32Array.from([1]));
    assert.equal(
      [c1, c2, c3].map((c) => t.describe(c).traffic!.bytes),
      [100, 206, 300],
    );
    const before = snapshot(t);
    const e = throwsCode(() => t.recordTrafficBatch(Float64Array.from([c3, c1, tree.paths[0]!]), Float64Array.from([1, 2, 3])), ErrorCode.WrongKind);
    assert.is(e.index, 2);
    throwsCode(() => t.recordTrafficBatch(Float64Array.from([c3, c1]), Float64Array.from([1, 0.5])), ErrorCode.InvalidArgument, /sentBytes\[1\]/);
    assert.is(snapshot(t), before);
    const many = Float64Array.from({ length: 5000 }, (_, i) => [c1, c2, c3][i % 3]!);
    t.recordTrafficBatch(many, new Float64Array(5000).fill(1));
    assert.equal(
      [c1, c2, c3].map((c) => t.describe(c).traffic!.bytes),
      [100 + 1667, 206 + 1667, 300 + 1666],
    );
  });

  test('cached variables: MTU and link-layer address updates, and relinking a path', ({ t }) => {
    const a = offloadedTree(t, 1, 2, 2);
    const b = offloadedTree(t, 1, 0, 0, 1);
    t.updatePath(a.paths[0]!, { mtu: 9000 });
    assert.is((t.describe(a.paths[0]!).key as { mtu: number }).mtu, 9000);
    t.updateNeighbor(b.neighbor, { linkLayerAddress: '02:00:00:00:00:09' });
    assert.is((t.describe(b.neighbor).key as { linkLayerAddress: string }).linkLayerAddress, '02:00:00:00:00:09');
    t.relinkPath(a.paths[1]!, b.neighbor);
    assert.is(t.parent(a.paths[1]!), b.neighbor);
    assert.equal(sorted(t.dependents(b.neighbor)), [a.paths[1]]);
    assert.is(t.refCount(a.neighbor), 1);
    const before = snapshot(t);
    throwsCode(() => t.updatePath(a.neighbor, { mtu: 1500 }), ErrorCode.WrongKind);
    throwsCode(() => t.updatePath(a.paths[0]!, { mtu: 20 }), ErrorCode.InvalidArgument, /mtu/);
    throwsCode(() => t.relinkPath(a.paths[0]!, a.paths[1]!), ErrorCode.WrongKind);
    const fresh = t.offloadNeighbor({ ifIndex: 3, address: '10.3.3.3' });
    throwsCode(() => t.relinkPath(a.paths[0]!, fresh), ErrorCode.WrongState, /Offloaded|Offloading/);
    assert.equal(JSON.parse(snapshot(t)).length, JSON.parse(before).length + 1, 'only the new neighbor differs');
    t.terminate([a.paths[0]!], Reason.Invalidated);
    throwsCode(() => t.updatePath(a.paths[0]!, { mtu: 1400 }), ErrorCode.WrongState, /Terminating/);
    assert.is(t.state(a.paths[0]!), State.Terminating);
    assert.is(t.count(Kind.Path), 2);
  });

  test('chooseVictims returns every count whole, short outputs and long ones alike', ({ t }) => {
    // The core copies up to 16 handles out one by one and more through a view (table.ts, widenAll).
    const tree = offloadedTree(t, 1, 2, 20);
    const all = [...t.chooseVictims(1000, 256)];
    assert.equal(sorted(all), sorted(tree.connections.flat()), 'every Offloaded connection, once');
    for (const k of [0, 1, 2, 15, 16, 17, 39, 40, 41]) {
      assert.equal([...t.chooseVictims(k, 256)], all.slice(0, k), `count ${k}: the first ${k} of the order`);
    }
  });

  test.run();
}

// The host's own traffic batches (src/host/engine.ts) skip the entry-by-entry reading of
// recordTrafficBatch; the core still checks every handle first, so they count the same and stay
// all-or-none.
const counted = suite('traffic (core): the host engine path, recordCountedTraffic');
counted('counts what recordTrafficBatch counts and refuses a bad handle changing nothing', () => {
  const [a, b] = [OffloadTable.createSync(), OffloadTable.createSync()];
  const [ta, tb] = [offloadedTree(a, 1, 1, 3), offloadedTree(b, 1, 1, 3)];
  const [ca, cb] = [ta.connections[0]!, tb.connections[0]!];
  const bytes = [7, 2 ** 32 - 1, 0, 5];
  const order = [0, 1, 2, 0];
  a.recordTrafficBatch(
    order.map((i) => ca[i]!),
    bytes,
  );
  b[recordCountedTraffic](Float64Array.from([...order.map((i) => cb[i]!), 99]), Uint32Array.from([...bytes, 99]), 4);
  assert.equal(
    cb.map((c) => b.describe(c).traffic!.bytes),
    ca.map((c) => a.describe(c).traffic!.bytes),
    'the same counts, and the entry past n is not read',
  );
  const before = snapshot(b);
  const e = throwsCode(() => b[recordCountedTraffic](Float64Array.from([cb[0]!, tb.paths[0]!]), Uint32Array.from([1, 1]), 2), ErrorCode.WrongKind);
  assert.is(e.index, 1);
  assert.is(snapshot(b), before);
  b.check();
});
counted.run();
