// Bad input: every public call validates, throws OffloadError with a precise code, and leaves the
// table exactly as it was (snapshot and check() before and after).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, Kind, Reason, OffloadTable } from '../../src/index.js';
import { ReferenceTable } from '../../src/reference/index.js';
import { implementations, throwsCode, offloadedTree, snapshot, type Table, type Tree } from '../helpers.js';

const BAD_ADDRESSES: unknown[] = [
  '10.0.0.256',
  '1.2.3',
  '1.2.3.4.5',
  '01.2.3.4',
  '1.2.3.-4',
  ' 1.2.3.4',
  '::1::',
  '1:2:3:4:5:6:7:8:9',
  'fe80::1%eth0',
  'gggg::1',
  '',
  '::ffff:1.2.3',
  12,
  null,
  undefined,
  {},
  new Uint8Array(15),
  [256, ...Array(15).fill(0)],
];

for (const [name, create] of implementations) {
  const test = suite<{ t: Table; tree: Tree; before: string }>(`errors (${name})`);
  test.before.each((ctx) => {
    ctx.t = create();
    ctx.tree = offloadedTree(ctx.t, 1, 2, 3);
    ctx.before = snapshot(ctx.t);
  });
  test.after.each((ctx) => {
    assert.is(snapshot(ctx.t), ctx.before, 'a refused call must leave the table exactly as it was');
    ctx.t.check();
  });

  test('bad addresses are InvalidArgument, naming the field', ({ t, tree }) => {
    for (const address of BAD_ADDRESSES) {
      throwsCode(() => t.offloadNeighbor({ ifIndex: 5, address: address as string }), ErrorCode.InvalidArgument, /address/);
      throwsCode(() => t.offloadPath({ source: '1.1.1.1', destination: address as string }, tree.neighbor), ErrorCode.InvalidArgument, /destination/);
      throwsCode(
        () => t.findConnection({ source: address as string, destination: '1.1.1.1', localPort: 1, remotePort: 1 }),
        ErrorCode.InvalidArgument,
        /source/,
      );
    }
  });

  test('ports, priority, mtu, ifIndex and link-layer addresses outside their ranges', ({ t, tree }) => {
    const p = tree.paths[0]!;
    for (const port of [-1, 65536, 1.5, NaN, '80', null]) {
      throwsCode(() => t.offloadConnection({ localPort: port as number, remotePort: 1 }, p), ErrorCode.InvalidArgument, /localPort/);
      throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: port as number }, p), ErrorCode.InvalidArgument, /remotePort/);
    }
    for (const priority of [-1, 256, 2.5, '1']) {
      throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: 1, priority: priority as number }, p), ErrorCode.InvalidArgument, /priority/);
    }
    for (const mtu of [67, 65536, 1500.5]) {
      throwsCode(() => t.offloadPath({ source: '1.1.1.1', destination: '2.2.2.2', mtu }, tree.neighbor), ErrorCode.InvalidArgument, /mtu/);
    }
    for (const ifIndex of [-1, 2 ** 32, 1.5, '1']) {
      throwsCode(() => t.offloadNeighbor({ ifIndex: ifIndex as number, address: '9.9.9.9' }), ErrorCode.InvalidArgument, /ifIndex/);
    }
    for (const ll of ['02:00:5e:10:00', 'zz:00:5e:10:00:01', [1, 2, 3], 7]) {
      throwsCode(() => t.offloadNeighbor({ ifIndex: 5, address: '9.9.9.9', linkLayerAddress: ll as string }), ErrorCode.InvalidArgument, /linkLayerAddress/);
    }
    throwsCode(() => t.offloadConnection(null as never, p), ErrorCode.InvalidArgument, /connection must be an object/);
  });

  test('handles that are not handles are InvalidArgument; forged or freed ones are StaleHandle', ({ t, tree }) => {
    for (const h of [0, -1, 1.5, 2 ** 32, 2 ** 53, NaN, '1', null]) {
      throwsCode(() => t.state(h as number), ErrorCode.InvalidArgument, /handle/);
      throwsCode(() => t.offloadPath({ source: '1.1.1.1', destination: '2.2.2.2' }, h as number), ErrorCode.InvalidArgument);
    }
    throwsCode(() => t.state(12345), ErrorCode.InvalidArgument, /not a handle/); // no kind bits
    throwsCode(() => t.terminate([tree.neighbor, 7], Reason.Application), ErrorCode.InvalidArgument);
    const forged = 3 * 2 ** 51 + 999_999;
    throwsCode(() => t.state(forged), ErrorCode.StaleHandle);
    throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: 1 }, 2 * 2 ** 51 + 77), ErrorCode.StaleHandle);
    const other = create();
    const foreign = other.offloadNeighbor({ ifIndex: 1, address: '8.8.8.8' });
    other.offloadNeighbor({ ifIndex: 1, address: '8.8.8.9' });
    throwsCode(() => t.state(other.offloadNeighbor({ ifIndex: 1, address: '8.8.4.4' })), ErrorCode.StaleHandle, /never belonged|stale/);
    assert.ok(foreign > 0);
  });

  test('a parent of the wrong kind is WrongKind', ({ t, tree }) => {
    throwsCode(() => t.offloadPath({ source: '1.1.1.1', destination: '2.2.2.2' }, tree.paths[0]!), ErrorCode.WrongKind, /not a neighbor/);
    throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: 1 }, tree.neighbor), ErrorCode.WrongKind, /not a path/);
    throwsCode(() => t.offloadConnection({ localPort: 1, remotePort: 1 }, tree.connections[0]![0]!), ErrorCode.WrongKind);
  });

  test('calls in the wrong state are WrongState', ({ t, tree }) => {
    throwsCode(() => t.completeOffload([tree.neighbor]), ErrorCode.WrongState, /Offloaded, expected Offloading/);
    throwsCode(() => t.completeTerminate([tree.connections[0]![0]!]), ErrorCode.WrongState, /expected Terminating/);
    throwsCode(() => t.completeOffload([tree.neighbor], false), ErrorCode.WrongState);
  });

  test('duplicate keys are DuplicateKey', ({ t, tree }) => {
    throwsCode(() => t.offloadNeighbor({ ifIndex: 1, address: '10.0.1.1' }), ErrorCode.DuplicateKey, /already/);
    throwsCode(() => t.offloadPath({ source: '10.0.1.2', destination: '172.16.1.1' }, tree.neighbor), ErrorCode.DuplicateKey);
    throwsCode(() => t.offloadConnection({ localPort: 1000, remotePort: 80 }, tree.paths[0]!), ErrorCode.DuplicateKey);
  });

  test('a batch with one bad entry changes nothing and names the entry', ({ t, tree }) => {
    const [p0, p1] = tree.paths as [number, number];
    const stale = 2 * 2 ** 51 + 4000;
    let e = throwsCode(() => t.offloadConnections([p0, p1, stale, p0], [1, 2, 3, 4], [1, 1, 1, 1]), ErrorCode.StaleHandle);
    assert.is(e.index, 2);
    e = throwsCode(() => t.offloadConnections(Float64Array.from([p0, p1, p0]), [1, 2, 1], [1, 1, 1]), ErrorCode.DuplicateKey, /earlier in the same batch/);
    assert.is(e.index, 2);
    e = throwsCode(() => t.offloadConnections([p0, p1], [5, 1000], [5, 80]), ErrorCode.DuplicateKey, /already/);
    assert.is(e.index, 1);
    e = throwsCode(() => t.offloadConnections([p0, tree.neighbor], [5, 6], [5, 6]), ErrorCode.WrongKind);
    assert.is(e.index, 1);
    e = throwsCode(() => t.offloadConnections([p0, p1], [5, 70000], [5, 6]), ErrorCode.InvalidArgument, /localPort\[1\]/);
    assert.is(e.index, 1);
    throwsCode(() => t.offloadConnections([p0, p1], [5], [5, 6]), ErrorCode.InvalidArgument, /localPorts has 1 entries, expected 2/);
    throwsCode(() => t.offloadConnections([p0], [5], [5], [300]), ErrorCode.InvalidArgument, /priorities/);
    throwsCode(() => t.offloadConnections('abc' as never, [5], [5]), ErrorCode.InvalidArgument, /array/);
    e = throwsCode(() => t.terminate([tree.neighbor, stale], Reason.Application), ErrorCode.StaleHandle);
    assert.is(e.index, 1);
    e = throwsCode(() => t.completeTerminate([tree.neighbor]), ErrorCode.WrongState);
    assert.is(e.index, 0);
    throwsCode(
      () => t.findConnections({ sources: new Uint8Array(16), destinations: new Uint8Array(15), localPorts: [1], remotePorts: [1] }),
      ErrorCode.InvalidArgument,
      /destinations/,
    );
  });

  test('bad reasons, options and kinds are InvalidArgument', ({ t, tree }) => {
    for (const reason of [0, 256, 1.5, 'LowActivity', undefined]) {
      throwsCode(() => t.terminate([tree.neighbor], reason as number), ErrorCode.InvalidArgument, /reason/);
      throwsCode(() => t.terminateAll(reason as number), ErrorCode.InvalidArgument, /reason/);
    }
    throwsCode(() => t.terminate([tree.neighbor], Reason.Application, { prune: 1 } as never), ErrorCode.InvalidArgument, /prune must be a boolean/);
    throwsCode(() => t.terminate([tree.neighbor], Reason.Application, { prnue: true } as never), ErrorCode.InvalidArgument, /unknown option 'prnue'/);
    throwsCode(() => t.completeTerminate([], 'yes' as never), ErrorCode.InvalidArgument, /options must be an object/);
    throwsCode(() => t.completeOffload([], 'true' as never), ErrorCode.InvalidArgument, /ok must be a boolean/);
    throwsCode(() => t.terminateInterface(-1, Reason.Application), ErrorCode.InvalidArgument, /ifIndex/);
    throwsCode(() => t.count(0 as Kind), ErrorCode.InvalidArgument, /kind/);
    throwsCode(() => t.handles('path' as never), ErrorCode.InvalidArgument, /kind/);
  });

  test('table limits are Capacity', () => {
    const t = create({ maxConnections: 3, maxPaths: 1 });
    const tree = offloadedTree(t, 1, 1, 2);
    const before = snapshot(t);
    throwsCode(() => t.offloadConnections([tree.paths[0]!, tree.paths[0]!], [7, 8], [7, 8]), ErrorCode.Capacity, /maximum of 2/);
    throwsCode(() => t.offloadPath({ source: '1.1.1.1', destination: '2.2.2.2' }, tree.neighbor), ErrorCode.Capacity);
    assert.is(snapshot(t), before);
    t.offloadConnection({ localPort: 9, remotePort: 9 }, tree.paths[0]!);
    throwsCode(() => t.offloadConnection({ localPort: 10, remotePort: 9 }, tree.paths[0]!), ErrorCode.Capacity);
    t.check();
  });

  test('table options are validated', () => {
    throwsCode(() => create({ maxConnections: -1 }), ErrorCode.InvalidArgument, /maxConnections/);
    throwsCode(() => create({ maxConnections: 2 ** 27 }), ErrorCode.InvalidArgument, /maxConnections/);
    throwsCode(() => create({ maxConections: 5 } as never), ErrorCode.InvalidArgument, /unknown option 'maxConections'/);
    throwsCode(() => create('big' as never), ErrorCode.InvalidArgument, /options must be an object/);
    throwsCode(() => create({ maxMemoryBytes: 1000 }), ErrorCode.InvalidArgument, /maxMemoryBytes/);
  });

  test.run();
}

const asyncCreate = suite('errors (async create)');
asyncCreate('create() rejects bad options with OffloadError too', async () => {
  for (const make of [OffloadTable.create, ReferenceTable.create]) {
    try {
      await make({ initialMemoryBytes: 1 });
      assert.unreachable('create should have rejected');
    } catch (e) {
      assert.is((e as { code?: string }).code, ErrorCode.InvalidArgument);
    }
  }
});
asyncCreate.run();
