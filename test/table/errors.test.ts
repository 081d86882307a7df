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
    throwsCode(() => t.state(12345), ErrorCode.InvalidArgument, /state: handle must be a handle .*, got number 12345/); // no kind bits
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
    e = throwsCode(
      () => t.offloadConnections(Float64Array.from([p0, p1, p0]), [1, 2, 1], [1, 1, 1]),
      ErrorCode.DuplicateKey,
      /repeats entry 0 of the same batch/,
    );
    assert.is(e.index, 2);
    e = throwsCode(() => t.offloadConnections([p0, p1], [5, 1000], [5, 80]), ErrorCode.DuplicateKey, /already/);
    assert.is(e.index, 1);
    e = throwsCode(() => t.offloadConnections([p0, tree.neighbor], [5, 6], [5, 6]), ErrorCode.WrongKind);
    assert.is(e.index, 1);
    e = throwsCode(() => t.offloadConnections([p0, p1], [5, 70000], [5, 6]), ErrorCode.InvalidArgument, /localPorts\[1\]/);
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
    let e = throwsCode(
      () => t.offloadConnections([tree.paths[0]!, tree.paths[0]!], [7, 8], [7, 8]),
      ErrorCode.Capacity,
      /^offloadConnections \(entry 1\): 2 new connections would exceed maxConnections \(3\): the table holds 2\./,
    );
    assert.is(e.index, 1, 'the first entry that does not fit');
    throwsCode(
      () => t.offloadPath({ source: '1.1.1.1', destination: '2.2.2.2' }, tree.neighbor),
      ErrorCode.Capacity,
      /^offloadPath: a new path would exceed maxPaths \(1\): the table holds 1\./,
    );
    assert.is(snapshot(t), before);
    t.offloadConnection({ localPort: 9, remotePort: 9 }, tree.paths[0]!);
    e = throwsCode(() => t.offloadConnection({ localPort: 10, remotePort: 9 }, tree.paths[0]!), ErrorCode.Capacity, /maxConnections \(3\): the table holds 3/);
    assert.is(e.index, undefined, 'one object: no entry');
    t.check();
  });

  test('regression: a batch past maxConnections in an empty table names the limit, what it holds and the entry', () => {
    // It said "the table holds its configured maximum of 0 objects of this kind", and no index.
    const t = create({ maxConnections: 2 });
    const tree = offloadedTree(t, 1, 1, 0);
    const p = tree.paths[0]!;
    const e = throwsCode(
      () => t.offloadConnections([p, p, p], [1, 2, 3], [1, 1, 1]),
      ErrorCode.Capacity,
      /^offloadConnections \(entry 2\): 3 new connections would exceed maxConnections \(2\): the table holds 0\. Terminate some, or raise the limit/,
    );
    assert.is(e.index, 2);
    assert.is(t.count(Kind.Connection), 0);
  });

  test('regression: no message says "undefined undefined" or prints a function', ({ t, tree }) => {
    // typeName(undefined) gave "undefined undefined"; a function printed its whole source.
    const cases: [() => unknown, RegExp][] = [
      [() => t.offloadConnection({ localPort: undefined as never, remotePort: 1 }, tree.paths[0]!), /localPort must be an integer 0\.\.65535, got undefined$/],
      [
        () => t.offloadNeighbor({ ifIndex: 1, address: undefined as never }),
        /address: expected an IPv4 or IPv6 address as a string or 16 bytes, got undefined$/,
      ],
      [() => t.state(undefined as never), /state: handle must be a handle .*, got undefined$/],
      [() => t.terminate([undefined as never], Reason.Application), /terminate: handles\[0\] must be a handle .*, got undefined$/],
      [() => t.offloadConnections([tree.paths[0]!], [() => 1] as never, [1]), /localPorts\[0\] must be an integer 0\.\.65535, got a function$/],
      [() => t.offloadNeighbor({ ifIndex: 1, address: [...Array(15).fill(0), Symbol('x')] as never }), /byte 15 of the address is a symbol, not/],
      [() => t.updateNeighbor(tree.neighbor, { linkLayerAddress: [1, 2, 3, 4, 5, 10n] as never }), /byte 5 is bigint 10n, not an integer/],
      [() => t.chooseVictims({} as never, 1), /count must be an integer .*, got an object$/],
    ];
    for (const [call, message] of cases) {
      const e = throwsCode(call, ErrorCode.InvalidArgument, message);
      assert.not.match(e.message, /undefined undefined|=>/);
    }
  });

  test('regression: relinkPath and updates say what they could not do, not what an offload would', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 2, 3);
    // updatePath of a Terminating path said "nothing new can be offloaded under it"; relinkPath
    // of a neighbor whose initiate is in flight said "is Offloading, expected Terminating".
    const fresh = t.offloadNeighbor({ ifIndex: 7, address: '10.7.0.1' });
    throwsCode(() => t.relinkPath(tree.paths[0]!, fresh), ErrorCode.WrongState, /^relinkPath: neighbor #\d+ \(handle \d+\) is Offloading, expected Offloaded$/);
    throwsCode(() => t.relinkPath(fresh, tree.neighbor), ErrorCode.WrongKind, /^relinkPath: neighbor #\d+ \(handle \d+\) is not a path$/);
    t.completeOffload([fresh], false);
    const batch = t.terminate([tree.paths[0]!], Reason.Application);
    throwsCode(() => t.updatePath(tree.paths[0]!, { mtu: 1400 }), ErrorCode.WrongState, /is Terminating: its cached variables can no longer change$/);
    throwsCode(() => t.relinkPath(tree.paths[0]!, tree.neighbor), ErrorCode.WrongState, /is Terminating: it cannot take part in a relink$/);
    throwsCode(
      () => t.offloadConnection({ localPort: 5, remotePort: 5 }, tree.paths[0]!),
      ErrorCode.WrongState,
      /is Terminating: nothing new can be offloaded under it$/,
    );
    t.completeTerminate(batch.handles);
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
