// The domain rules of the design, one test each, proven of the core and of the reference model.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, Kind, Reason, State, encodeAddresses as encode } from '../../src/index.js';
import { implementations, throwsCode, buildTree, offloadedTree, assertPostOrder, sorted, snapshot, type Table } from '../helpers.js';

for (const [name, create] of implementations) {
  const test = suite<{ t: Table }>(`rules (${name})`, { t: undefined as unknown as Table });
  test.before.each((ctx) => {
    ctx.t = create();
  });
  test.after.each((ctx) => {
    ctx.t.check();
  });

  test('objects start Offloading and completeOffload makes them Offloaded', ({ t }) => {
    const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
    const p = t.offloadPath({ source: '10.0.0.2', destination: '10.0.9.9' }, n);
    const c = t.offloadConnection({ localPort: 40000, remotePort: 443, priority: 3 }, p);
    for (const h of [n, p, c]) assert.is(t.state(h), State.Offloading);
    assert.is(t.completeOffload([n, p, c]).length, 0);
    for (const h of [n, p, c]) assert.is(t.state(h), State.Offloaded);
    assert.is(t.kind(n), Kind.Neighbor);
    assert.is(t.kind(p), Kind.Path);
    assert.is(t.kind(c), Kind.Connection);
    assert.is(t.parent(c), p);
    assert.is(t.parent(p), n);
    assert.is(t.parent(n), 0);
  });

  test('many connections share a path and many paths share a neighbor; refcounts count them', ({ t }) => {
    const tree = offloadedTree(t, 1, 3, 4);
    assert.is(t.refCount(tree.neighbor), 3);
    assert.equal(sorted(t.dependents(tree.neighbor)), sorted(tree.paths));
    tree.paths.forEach((p, i) => {
      assert.is(t.refCount(p), 4);
      assert.equal(sorted(t.dependents(p)), sorted(tree.connections[i]!));
    });
    assert.is(t.refCount(tree.connections[0]![0]!), 0);
    assert.equal([...t.dependents(tree.connections[0]![0]!)], []);
    assert.is(t.count(Kind.Connection), 12);
  });

  test('refcount drops only when a dependent is freed, not when it starts terminating', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 3);
    const [p] = tree.paths;
    const c = tree.connections[0]![0]!;
    const b = t.terminate([c], Reason.Application);
    assert.equal([...b.handles], [c]);
    assert.is(t.refCount(p!), 3, 'a Terminating dependent is still linked');
    t.completeTerminate(b.handles);
    assert.is(t.refCount(p!), 2);
    assert.not.ok(t.dependents(p!).includes(c));
  });

  test('terminating a neighbor terminates every dependent: connections, then paths, then the neighbor', ({ t }) => {
    const tree = offloadedTree(t, 1, 3, 4);
    const b = t.terminate([tree.neighbor], Reason.MediaDisconnect);
    assert.is(b.length, 1 + 3 + 12);
    assertPostOrder(t, b);
    const kinds = [...b.handles].map((h) => t.kind(h));
    assert.equal(kinds, [...Array(12).fill(Kind.Connection), ...Array(3).fill(Kind.Path), Kind.Neighbor]);
    assert.ok([...b.reasons].every((r) => r === Reason.MediaDisconnect));
    for (const h of tree.all) assert.is(t.state(h), State.Terminating);
  });

  test('a path or neighbor is never freed while a dependent is linked to it', ({ t }) => {
    const tree = offloadedTree(t, 1, 2, 2);
    const b = t.terminate([tree.neighbor], Reason.Pause);
    const before = snapshot(t);
    throwsCode(() => t.completeTerminate([tree.neighbor]), ErrorCode.HasDependents, /dependent/);
    throwsCode(() => t.completeTerminate([tree.paths[0]!, tree.neighbor]), ErrorCode.HasDependents);
    assert.is(snapshot(t), before, 'a refused completion changes nothing');
    // Dependents first, in separate calls, is fine.
    const connections = tree.connections.flat();
    assert.is(t.completeTerminate(connections).length, 0, 'parents already Terminating are not orphans');
    t.completeTerminate(tree.paths);
    t.completeTerminate([tree.neighbor]);
    assert.is(t.count(Kind.Neighbor), 0);
    assert.is(b.length, 7);
  });

  test('completeTerminate frees a whole batch in one call and the handles go stale', ({ t }) => {
    const tree = offloadedTree(t, 1, 2, 3);
    const b = t.terminate([tree.neighbor], Reason.PowerTransition);
    assert.is(t.completeTerminate(b.handles).length, 0);
    for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) assert.is(t.count(k), 0);
    for (const h of tree.all) throwsCode(() => t.state(h), ErrorCode.StaleHandle);
  });

  test('orphan pruning: the last dependent of a path takes the path, and the last path the neighbor', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 2);
    const [c1, c2] = tree.connections[0]!;
    const first = t.terminate([c1!], Reason.LowActivity);
    assert.equal([...first.handles], [c1], 'the path keeps another connection');
    const second = t.terminate([c2!], Reason.LowActivity);
    // c1 is still Terminating from the first batch: the path waits for it.
    assert.equal([...second.handles], [c2]);
    assert.is(t.completeTerminate(first.handles).length, 0, 'c2 still linked: no orphan yet');
    const orphans = t.completeTerminate(second.handles);
    assert.equal([...orphans.handles], [tree.paths[0], tree.neighbor]);
    assert.equal([...orphans.reasons], [Reason.Orphaned, Reason.Orphaned]);
    assertPostOrder(t, orphans);
    assert.equal(t.completeTerminate(orphans.handles).length, 0);
    assert.is(t.count(Kind.Neighbor), 0);
  });

  test('pruning inside one batch: a parent all of whose dependents are in it joins after them', ({ t }) => {
    const tree = offloadedTree(t, 1, 2, 2);
    const b = t.terminate(tree.connections[0]!, Reason.HigherPriority);
    assert.equal([...b.handles].slice(2), [tree.paths[0]]);
    assert.equal([...b.reasons], [Reason.HigherPriority, Reason.HigherPriority, Reason.Orphaned]);
    assert.is(t.state(tree.neighbor), State.Offloaded, 'the neighbor keeps its other path');
    const rest = t.terminate(tree.connections[1]!, Reason.HigherPriority);
    assert.equal([...rest.handles].slice(2), [tree.paths[1]], 'the first path is still linked (Terminating): no neighbor yet');
    t.completeTerminate(b.handles);
    const orphans = t.completeTerminate(rest.handles);
    assert.equal([...orphans.handles], [tree.neighbor]);
    assert.equal([...orphans.reasons], [Reason.Orphaned]);
  });

  test('prune: false leaves parents alone, and completeTerminate then returns the orphans', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    const c = tree.connections[0]![0]!;
    const b = t.terminate([c], Reason.Application, { prune: false });
    assert.equal([...b.handles], [c]);
    const orphans = t.completeTerminate(b.handles);
    assert.equal([...orphans.handles], [tree.paths[0], tree.neighbor]);
    const none = offloadedTree(t, 2, 1, 1);
    const b2 = t.terminate(none.connections[0]!, Reason.Application, { prune: false });
    assert.is(t.completeTerminate(b2.handles, { prune: false }).length, 0);
    assert.is(t.state(none.paths[0]!), State.Offloaded, 'without pruning the empty path stays');
  });

  test('a named parent gets the batch reason, never Orphaned', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    const b = t.terminate([tree.connections[0]![0]!, tree.paths[0]!], Reason.Invalidated);
    assert.equal([...b.reasons], [Reason.Invalidated, Reason.Invalidated, Reason.Orphaned]);
    assert.equal([...b.handles], [tree.connections[0]![0], tree.paths[0], tree.neighbor]);
  });

  test('duplicates and objects already Terminating are skipped: each object is reported once', ({ t }) => {
    const tree = offloadedTree(t, 1, 2, 2);
    const c = tree.connections[0]![0]!;
    const first = t.terminate([c, c, c], Reason.Application);
    assert.equal([...first.handles], [c]);
    const second = t.terminate([tree.neighbor, c, tree.neighbor, tree.paths[0]!], Reason.MediaDisconnect);
    const reported = [...first.handles, ...second.handles];
    assert.is(new Set(reported).size, reported.length, 'no object twice');
    assert.not.ok(second.handles.includes(c));
    // The path of c waits for c's earlier batch; the neighbor waits for that path.
    assert.not.ok(second.handles.includes(tree.paths[0]!));
    assert.ok(t.pending(tree.paths[0]!));
    assert.ok(t.pending(tree.neighbor));
    assert.is(second.length, 4, 'three connections and the other path');
    t.completeTerminate(second.handles);
    const later = t.completeTerminate(first.handles);
    assert.equal([...later.handles], [tree.paths[0], tree.neighbor]);
    assert.equal([...later.reasons], [Reason.MediaDisconnect, Reason.MediaDisconnect], 'pending objects keep their reason');
    t.completeTerminate(later.handles);
    assert.is(t.count(Kind.Path), 0);
  });

  test('terminating an object whose initiate is in flight waits for the initiate', ({ t }) => {
    const tree = buildTree(t, 1, 1, 2); // all Offloading
    const b = t.terminate([tree.neighbor], Reason.Pause);
    assert.is(b.length, 0, 'nothing can go before the target holds it');
    for (const h of tree.all) {
      assert.is(t.state(h), State.Offloading);
      assert.ok(t.pending(h));
      assert.is(t.reason(h), Reason.Pause);
    }
    throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: 2 }, tree.paths[0]!), ErrorCode.WrongState);
    const now = t.completeOffload(tree.all);
    assert.is(now.length, 4);
    assertPostOrder(t, now);
    assert.ok([...now.reasons].every((r) => r === Reason.Pause));
    for (const h of tree.all) assert.is(t.state(h), State.Terminating);
    t.completeTerminate(now.handles);
  });

  test('a failed initiate frees the objects, and a pending parent then goes', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    const late = t.offloadConnection({ localPort: 5, remotePort: 6 }, tree.paths[0]!);
    const b = t.terminate([tree.paths[0]!], Reason.Invalidated);
    assert.equal([...b.handles], [tree.connections[0]![0]]);
    assert.ok(t.pending(tree.paths[0]!));
    t.completeTerminate(b.handles);
    const now = t.completeOffload([late], false);
    assert.equal([...now.handles], [tree.paths[0]], 'the pending path had only the failed connection left');
    assert.equal([...now.reasons], [Reason.Invalidated]);
    throwsCode(() => t.state(late), ErrorCode.StaleHandle);
    const orphans = t.completeTerminate(now.handles);
    assert.equal([...orphans.handles], [tree.neighbor]);
  });

  test('a failed initiate must fail its dependents in the same call', ({ t }) => {
    const tree = buildTree(t, 1, 1, 2);
    const before = snapshot(t);
    throwsCode(() => t.completeOffload([tree.paths[0]!], false), ErrorCode.HasDependents);
    assert.is(snapshot(t), before);
    assert.is(t.completeOffload(tree.all, false).length, 0);
    assert.is(t.count(Kind.Connection), 0);
    assert.is(t.count(Kind.Neighbor), 0);
  });

  test('a failed initiate is not a termination: its Offloaded parent stays', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 0);
    const c = t.offloadConnection({ localPort: 1, remotePort: 1 }, tree.paths[0]!);
    assert.is(t.completeOffload([c], false).length, 0);
    assert.is(t.state(tree.paths[0]!), State.Offloaded);
    assert.is(t.refCount(tree.paths[0]!), 0);
  });

  test('a child completes with its parent or after it, never before', ({ t }) => {
    const tree = buildTree(t, 1, 1, 1);
    const c = tree.connections[0]![0]!;
    throwsCode(() => t.completeOffload([c]), ErrorCode.WrongState, /parent/);
    t.completeOffload([tree.neighbor]);
    t.completeOffload([c, tree.paths[0]!]); // same call, any order
    assert.is(t.state(c), State.Offloaded);
  });

  test('nothing can be offloaded under a Terminating or pending parent', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    t.terminate([tree.paths[0]!], Reason.Application, { prune: false });
    throwsCode(() => t.offloadConnection({ localPort: 9, remotePort: 9 }, tree.paths[0]!), ErrorCode.WrongState, /Terminating/);
    const other = offloadedTree(t, 2, 1, 1);
    const late = t.offloadConnection({ localPort: 7, remotePort: 7 }, other.paths[0]!);
    const first = t.terminate([other.paths[0]!], Reason.Application);
    assert.ok(t.pending(other.paths[0]!), 'waiting for the late initiate');
    throwsCode(() => t.offloadConnection({ localPort: 8, remotePort: 8 }, other.paths[0]!), ErrorCode.WrongState, /pending/);
    t.offloadPath({ source: '1.1.1.1', destination: '2.2.2.2' }, other.neighbor); // the neighbor itself is not pending
    t.completeTerminate(first.handles);
    const go = t.completeOffload([late]);
    assert.equal([...go.handles], [late, other.paths[0]], 'the late connection goes, and the path with it');
  });

  test('a freed handle is stale for every call, even after its slot is reused', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    const c = tree.connections[0]![0]!;
    t.completeTerminate(t.terminate([c], Reason.Application, { prune: false }).handles, { prune: false });
    const fresh = t.offloadConnection({ localPort: 1000, remotePort: 80 }, tree.paths[0]!);
    assert.is.not(fresh, c, 'a reused slot gets a new handle');
    for (const call of [
      () => t.kind(c),
      () => t.state(c),
      () => t.parent(c),
      () => t.refCount(c),
      () => t.dependents(c),
      () => t.describe(c),
      () => t.pending(c),
      () => t.reason(c),
      () => t.terminate([c], Reason.Application),
      () => t.completeTerminate([c]),
      () => t.completeOffload([c]),
    ])
      throwsCode(call, ErrorCode.StaleHandle, /stale/);
    assert.is(t.kind(fresh), Kind.Connection);
  });

  test('keys are unique per kind; IPv4 and IPv4-mapped IPv6 are the same key', ({ t }) => {
    const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
    throwsCode(() => t.offloadNeighbor({ ifIndex: 1, address: '::ffff:10.0.0.1' }), ErrorCode.DuplicateKey);
    const n2 = t.offloadNeighbor({ ifIndex: 2, address: '10.0.0.1' });
    assert.is.not(n2, n, 'same address on another interface is another neighbor');
    const p = t.offloadPath({ source: 'fe80::1', destination: '2001:db8::1' }, n);
    throwsCode(() => t.offloadPath({ source: 'fe80:0::0:1', destination: '2001:DB8:0:0:0:0:0:1' }, n2), ErrorCode.DuplicateKey);
    t.offloadConnection({ localPort: 1, remotePort: 2 }, p);
    throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: 2 }, p), ErrorCode.DuplicateKey);
    t.offloadConnection({ localPort: 2, remotePort: 1 }, p);
    assert.is(t.findNeighbor({ ifIndex: 1, address: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]) }), n);
  });

  test('a key is free again once its object is freed', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    t.completeTerminate(t.terminate([tree.neighbor], Reason.Application).handles);
    const again = offloadedTree(t, 1, 1, 1);
    assert.is(t.findConnection({ source: '10.0.1.2', destination: '172.16.1.1', localPort: 1000, remotePort: 80 }), again.connections[0]![0]);
  });

  test('lookups find each kind by key, and 0 when absent', ({ t }) => {
    const tree = offloadedTree(t, 3, 2, 2);
    assert.is(t.findNeighbor({ ifIndex: 3, address: '10.0.3.1' }), tree.neighbor);
    assert.is(t.findNeighbor({ ifIndex: 4, address: '10.0.3.1' }), 0);
    assert.is(t.findPath({ source: '10.0.3.2', destination: '172.16.3.2' }), tree.paths[1]);
    assert.is(t.findPath({ source: '10.0.3.2', destination: '172.16.3.9' }), 0);
    const key = { source: '10.0.3.2', destination: '172.16.3.2', localPort: 1001, remotePort: 80 };
    assert.is(t.findConnection(key), tree.connections[1]![1]);
    assert.is(t.findConnection({ ...key, remotePort: 81 }), 0);
  });

  test('terminateInterface takes one interface only; terminateAll takes everything', ({ t }) => {
    const a = offloadedTree(t, 1, 2, 2);
    const a2 = offloadedTree(t, 1, 1, 1, 1);
    const b = offloadedTree(t, 2, 2, 2);
    assert.equal(sorted(t.neighborsOn(1)), sorted([a.neighbor, a2.neighbor]));
    const down = t.terminateInterface(1, Reason.MediaDisconnect);
    assert.equal(sorted(down.handles), sorted([...a.all, ...a2.all]));
    assertPostOrder(t, down);
    for (const h of b.all) assert.is(t.state(h), State.Offloaded);
    assert.is(t.terminateInterface(99, Reason.MediaDisconnect).length, 0);
    const all = t.terminateAll(Reason.Pause);
    assert.equal(sorted(all.handles), sorted(b.all));
    assertPostOrder(t, all);
  });

  test('describe gives key, cached variables and status', ({ t }) => {
    const n = t.offloadNeighbor({ ifIndex: 7, address: '2001:db8::7', linkLayerAddress: '02:00:5e:10:00:01' });
    const p = t.offloadPath({ source: '2001:db8::1', destination: '2001:db8:0:1::9', mtu: 9000 }, n);
    const c = t.offloadConnection({ localPort: 50000, remotePort: 443, priority: 200 }, p);
    assert.equal(t.describe(n).key, { ifIndex: 7, address: '2001:db8::7', linkLayerAddress: '02:00:5e:10:00:01' });
    assert.equal(t.describe(p).key, { source: '2001:db8::1', destination: '2001:db8:0:1::9', mtu: 9000 });
    const info = t.describe(c);
    assert.equal(info.key, { source: '2001:db8::1', destination: '2001:db8:0:1::9', localPort: 50000, remotePort: 443, priority: 200 });
    assert.equal(
      { ...info, key: undefined },
      {
        handle: c,
        kind: Kind.Connection,
        state: State.Offloading,
        pending: false,
        reason: 0,
        parent: p,
        refCount: 0,
        key: undefined,
        traffic: { bytes: 0, rate: -1, quietMs: 0 },
      },
    );
  });

  test('an application reason (64..255) travels with the batch', ({ t }) => {
    const tree = offloadedTree(t, 1, 1, 1);
    const b = t.terminate([tree.paths[0]!], 200);
    assert.equal([...b.reasons], [200, 200, Reason.Orphaned]);
    assert.is(t.reason(tree.paths[0]!), 200);
  });

  test('batch offload and batch lookup agree with the one-at-a-time calls', ({ t }) => {
    const tree = offloadedTree(t, 1, 3, 0);
    const paths = [tree.paths[0]!, tree.paths[1]!, tree.paths[2]!, tree.paths[0]!];
    const hs = t.offloadConnections(Float64Array.from(paths), [1, 2, 3, 4], [80, 80, 80, 80], [1, 2, 3, 4]);
    assert.is(hs.length, 4);
    hs.forEach((h, i) => {
      assert.is(t.parent(h), paths[i]);
      assert.is((t.describe(h).key as { priority: number }).priority, i + 1);
    });
    const dst = ['172.16.1.1', '172.16.1.2', '172.16.1.3', '172.16.1.1'];
    const found = t.findConnections({
      sources: encode(Array(4).fill('10.0.1.2')),
      destinations: encode(dst),
      localPorts: [1, 2, 3, 9],
      remotePorts: [80, 80, 80, 80],
    });
    assert.equal([...found], [hs[0], hs[1], hs[2], 0]);
  });

  test.run();
}
