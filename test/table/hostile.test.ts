// Hostile batch arguments (issue 8 items 2, 3 and 8), for the core and the reference alike:
// lengths that would overflow a size computation, arrays whose entries change between reads, and
// reads at the memory cap. Every refusal is InvalidArgument (or the call works), the table is
// unchanged and consistent, and it can still be terminated completely.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OffloadTable, ErrorCode, Kind, Reason, State, encodeAddresses } from '../../src/index.js';
import { MAX_BATCH } from '../../src/table/validate.js';
import { implementations, offloadedTree, snapshot, throwsCode, type Table } from '../helpers.js';

/** A sparse array of `length` (no entries). */
function sparse(length: number): number[] {
  const a: number[] = [];
  a.length = length;
  return a;
}

/** A Proxy claiming `length` entries, every entry `value`; counts reads of each index. */
function claiming(length: number, value: unknown, reads = new Map<string, number>()): number[] {
  return new Proxy([] as number[], {
    get(target, key) {
      if (key === 'length') return length;
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        return value;
      }
      return Reflect.get(target, key);
    },
  });
}

/**
 * A Proxy over `first` whose entries change once read: the first read of index i gives first[i],
 * every later read gives later[i]. Counts the reads of each index.
 */
function changing(first: unknown[], later: unknown[], reads: number[]): number[] {
  return new Proxy(first as number[], {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        const i = Number(key);
        reads[i] = (reads[i] ?? 0) + 1;
        return reads[i] === 1 ? first[i] : later[i];
      }
      return Reflect.get(target, key);
    },
  });
}

/** Terminates and completes everything, proving the table still works end to end. */
function drain(t: Table): void {
  const all = t.terminateAll(Reason.Application);
  t.completeTerminate(all.handles);
  for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) assert.is(t.count(k), 0);
  t.check();
}

for (const [name, create] of implementations) {
  const test = suite(`hostile batches (${name})`);

  test('item 2: batches of 2^30 and 2^32-1 entries are refused before anything is written', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 2, 3);
    const p = tree.paths[0]!;
    const before = snapshot(t);
    for (const length of [2 ** 30, 2 ** 32 - 1, MAX_BATCH + 1]) {
      for (const huge of [sparse(length), claiming(length, p)]) {
        const calls: [string, () => unknown][] = [
          ['terminate', () => t.terminate(huge, Reason.Application)],
          ['completeOffload', () => t.completeOffload(huge)],
          ['completeTerminate', () => t.completeTerminate(huge)],
          ['recordTrafficBatch', () => t.recordTrafficBatch(huge, huge)],
          ['offloadConnections', () => t.offloadConnections(huge, huge, huge)],
          ['offloadConnections (ports)', () => t.offloadConnections([p], huge, [1])],
          ['findConnections', () => t.findConnections({ sources: new Uint8Array(0), destinations: new Uint8Array(0), localPorts: huge, remotePorts: huge })],
        ];
        for (const [call, fn] of calls) {
          const e = throwsCode(fn, ErrorCode.InvalidArgument, /at most 134,217,728|entries, expected/);
          assert.ok(e.message.length < 300, `${call}: a short message`);
        }
      }
    }
    assert.is(snapshot(t), before);
    t.check();
    drain(t);
  });

  test('item 2: a huge sparse array within the limit fails at its first hole, reading nothing past it', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 1, 2);
    const reads = new Map<string, number>();
    const a = claiming(2 ** 26, undefined, reads);
    throwsCode(() => t.terminate(a, Reason.Application), ErrorCode.InvalidArgument, /handles\[0\]/);
    assert.is(reads.size, 1, 'one entry read');
    t.check();
    assert.is(t.state(tree.neighbor), State.Offloaded);
  });

  test('item 3: each entry of offloadConnections is read once; what was validated is what is placed', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 2, 0);
    const [open, leaving] = tree.paths as [number, number];
    const c = t.offloadConnection({ localPort: 1, remotePort: 1 }, leaving);
    t.completeOffload([c]);
    t.terminate([leaving], Reason.Application); // now Terminating: nothing may go under it
    const n = 3;
    const reads = { paths: [] as number[], local: [] as number[], remote: [] as number[], prio: [] as number[] };
    const hs = t.offloadConnections(
      changing(Array(n).fill(open), Array(n).fill(leaving), reads.paths),
      changing([80, 81, 82], [-1, -1, -1], reads.local),
      changing([443, 443, 443], [70000, 70000, 70000], reads.remote),
      changing([3, 4, 5], [300, 300, 300], reads.prio),
    );
    for (const [field, r] of Object.entries(reads)) assert.equal(r, Array(n).fill(1), `${field}: every entry read once`);
    hs.forEach((h, i) => {
      assert.is(t.parent(h), open);
      const key = t.describe(h).key as { localPort: number; remotePort: number; priority: number };
      assert.equal([key.localPort, key.remotePort, key.priority], [80 + i, 443, 3 + i]);
    });
    t.check();
  });

  test('item 3: handle lists and traffic batches are read once too', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 1, 3);
    const [c0, c1, c2] = tree.connections[0] as [number, number, number];
    let reads: number[] = [];
    const batch = t.terminate(changing([c0], [c1], reads), Reason.Application);
    assert.equal(reads, [1]);
    assert.equal([...batch.handles], [c0]);
    reads = [];
    const sent: number[] = [];
    t.recordTrafficBatch(changing([c1, c2], [c0, c0], reads), changing([10, 20], [-5, -5], sent));
    assert.equal(reads, [1, 1]);
    assert.equal(sent, [1, 1]);
    assert.is(t.describe(c1).traffic!.bytes, 10);
    assert.is(t.describe(c2).traffic!.bytes, 20);
    reads = [];
    t.completeTerminate(changing([c0], [tree.neighbor], reads));
    assert.equal(reads, [1]);
    t.check();
    drain(t);
  });

  test('typed arrays are what their slots say: a Proxy or a subclass cannot skip the checks or throw a TypeError', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 1, 2);
    const p = tree.paths[0]!;
    const before = snapshot(t);
    // A Proxy passes `instanceof Uint16Array`: its entries (70000, 'abc') skipped the port and priority checks.
    const lying = <T extends object>(target: T, entry: unknown) =>
      new Proxy(target, { get: (o, key) => (typeof key === 'string' && /^\d+$/.test(key) ? entry : Reflect.get(o, key)) });
    const ports = new Uint16Array([1, 2]);
    throwsCode(() => t.offloadConnections([p, p], lying(ports, 70000), ports), ErrorCode.InvalidArgument, /localPorts must be an array or typed array/);
    throwsCode(() => t.offloadConnections([p, p], ports, ports, lying(new Uint8Array(2), 'abc')), ErrorCode.InvalidArgument, /priorities must be/);
    // A Proxy of a Uint8Array as lookup keys threw a TypeError from subarray().
    throwsCode(
      () => t.findConnections({ sources: lying(new Uint8Array(16), 1), destinations: new Uint8Array(16), localPorts: [1], remotePorts: [1] }),
      ErrorCode.InvalidArgument,
      /sources must be a Uint8Array/,
    );
    // A subclass whose length lies made set() throw a RangeError; its real entries are what counts.
    class Short extends Float64Array {
      override get length() {
        return 1;
      }
    }
    const [c0, c1] = tree.connections[0] as [number, number];
    const batch = t.terminate(Short.from([c0, c1]), Reason.Application, { prune: false });
    assert.equal([...batch.handles].sort(), [c0, c1].sort(), 'both entries, by the real length');
    t.completeTerminate(batch.handles);
    assert.is.not(snapshot(t), before);
    t.check();
  });

  test('a handle list whose reading calls the table with another list: each call reads its own', () => {
    // Short lists are read into a buffer of the table's; a call that runs while another is still
    // reading (from a getter) must not write into the one that call is reading into.
    const t = create();
    const tree = offloadedTree(t, 1, 1, 3);
    const [c0, c1, c2] = tree.connections[0] as [number, number, number];
    const list = new Proxy([c0, c1], {
      get(target, key, receiver) {
        if (key === '1') t.terminate([c2], Reason.Application, { prune: false });
        return Reflect.get(target, key, receiver);
      },
    });
    const batch = t.terminate(list, Reason.LowActivity, { prune: false });
    assert.equal([...batch.handles].sort(), [c0, c1].sort());
    for (const c of [c0, c1, c2]) assert.is(t.state(c), State.Terminating);
    assert.is(t.reason(c0), Reason.LowActivity);
    assert.is(t.reason(c2), Reason.Application);
    t.check();
  });

  test('a connection whose getter offloads another connection: each gets its own ports and priority', () => {
    const t = create();
    const tree = offloadedTree(t, 1, 2, 0);
    const [p0, p1] = tree.paths as [number, number];
    let inner = 0;
    const c = t.offloadConnection(
      {
        localPort: 1000,
        remotePort: 80,
        get priority() {
          inner = t.offloadConnection({ localPort: 2000, remotePort: 90, priority: 1 }, p1);
          return 7;
        },
      },
      p0,
    );
    assert.equal(t.describe(c).key, { source: '10.0.1.2', destination: '172.16.1.1', localPort: 1000, remotePort: 80, priority: 7 });
    assert.is(t.parent(inner), p1);
    assert.equal((t.describe(inner).key as { localPort: number; priority: number }).localPort, 2000);
    t.check();
  });

  test('Uint8Array addresses: one taken while another call reads its addresses (from a getter) keeps its own bytes', () => {
    // Real Uint8Array addresses are copied into buffers the front end reuses once written: the
    // inner call, made between the outer call's two takes, must not copy into the outer's buffer.
    const t = create();
    const tree = offloadedTree(t, 1, 1, 0);
    const bytes = (last: number) => Uint8Array.from([...Array(10).fill(0), 0xff, 0xff, 10, 8, 0, last]);
    const source = bytes(1);
    let inner = 0;
    const destination = new Proxy([...Array(10).fill(0), 0xff, 0xff, 10, 9, 9, 9], {
      get(target, key, receiver) {
        if (key === '0' && inner === 0) {
          inner = t.offloadPath({ source: bytes(2), destination: bytes(3) }, tree.neighbor);
          source.fill(7); // after its take: changes nothing
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const p = t.offloadPath({ source, destination: destination as unknown as number[] }, tree.neighbor);
    assert.equal(t.describe(p).key, { source: '10.8.0.1', destination: '10.9.9.9', mtu: 1500 });
    assert.equal(t.describe(inner).key, { source: '10.8.0.2', destination: '10.8.0.3', mtu: 1500 });
    for (let i = 4; i < 8; i++) {
      const q = t.offloadPath({ source: bytes(i), destination: bytes(i + 100) }, tree.neighbor);
      assert.equal(t.describe(q).key, { source: `10.8.0.${i}`, destination: `10.8.0.${i + 100}`, mtu: 1500 }, 'buffers reused after writing');
    }
    t.check();
  });

  test('an address whose reading calls the table (and grows its memory) cannot change the key placed', () => {
    // A Proxy of 16 bytes that, when first read, looks up another path and offloads a batch big
    // enough to grow linear memory. The key buffer was written field by field, so the lookup
    // overwrote the source already written, and a view fetched before the growth was detached.
    const t = create({ initialMemoryBytes: 65536 });
    const tree = offloadedTree(t, 1, 2, 0);
    let calls = 0;
    const destination = new Proxy([...Array(10).fill(0), 0xff, 0xff, 10, 9, 9, 9], {
      get(target, key, receiver) {
        if (key === '0' && calls++ === 0) {
          t.findPath({ source: '1.1.1.1', destination: '2.2.2.2' });
          const n = 20_000;
          t.offloadConnections(
            new Float64Array(n).fill(tree.paths[1]!),
            Uint16Array.from({ length: n }, (_, i) => i),
            new Uint16Array(n).fill(1),
          );
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const p = t.offloadPath({ source: '10.8.0.1', destination: destination as unknown as number[] }, tree.neighbor);
    assert.is(calls, 1, 'the address was read once');
    assert.equal(t.describe(p).key, { source: '10.8.0.1', destination: '10.9.9.9', mtu: 1500 });
    assert.is(t.findPath({ source: '10.8.0.1', destination: '10.9.9.9' }), p);
    t.check();
  });

  test.run();
}

const test = suite('hostile batches (core at its memory cap)');

test('item 8: at the memory cap, batch lookups and traffic over every connection need no memory', () => {
  const t = OffloadTable.createSync({ maxMemoryBytes: 4 << 20 });
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.254' });
  const paths: number[] = [];
  for (let i = 0; i < 50; i++) paths.push(t.offloadPath({ source: '10.0.0.1', destination: `10.1.0.${i}` }, n));
  t.completeOffload([n, ...paths]);
  let port = 1;
  for (;;) {
    try {
      t.completeOffload(
        t.offloadConnections(
          Array.from({ length: 500 }, (_, i) => paths[i % 50]!),
          Array.from({ length: 500 }, (_, i) => port + Math.floor(i / 50)),
          Array(500).fill(80),
        ),
      );
      port += 10;
    } catch (e) {
      assert.is((e as { code: string }).code, ErrorCode.OutOfMemory);
      break;
    }
  }
  const live = t.handles(Kind.Connection);
  assert.ok(live.length > 10_000, `${live.length} connections fill 4 MiB`);
  const before = snapshot(t);
  // Every connection's traffic, as HostStack records it every tick.
  t.recordTrafficBatch(live, new Uint32Array(live.length).fill(100));
  // A lookup of a quarter of them, and more keys than there are connections.
  const keys = [...live].map((h) => t.describe(h).key as { source: string; destination: string; localPort: number; remotePort: number });
  for (const count of [Math.floor(live.length / 4), live.length * 2]) {
    const pick = Array.from({ length: count }, (_, i) => keys[i % keys.length]!);
    const found = t.findConnections({
      sources: encodeAddresses(pick.map((k) => k.source)),
      destinations: encodeAddresses(pick.map((k) => k.destination)),
      localPorts: pick.map((k) => k.localPort),
      remotePorts: pick.map((k) => k.remotePort),
    });
    found.forEach((h, i) => assert.is(h, live[i % live.length]));
  }
  assert.is(t.dependents(n).length, 50);
  assert.is(t.chooseVictims(live.length, 256).length, live.length);
  assert.ok(snapshot(t) !== before, 'traffic was recorded');
  t.check();
  drain(t);
});

test('the internal counted-traffic path (reachable by reflection) never reads past the arrays it is given', async () => {
  const t = await OffloadTable.create();
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  const p = t.offloadPath({ source: '10.0.0.2', destination: '10.0.0.3' }, n);
  const c1 = t.offloadConnection({ localPort: 1, remotePort: 2 }, p);
  const c2 = t.offloadConnection({ localPort: 3, remotePort: 4 }, p);
  t.recordTrafficBatch([c1, c2], [10, 20]);
  const [counted] = Object.getOwnPropertySymbols(OffloadTable.prototype);
  const record = (t as unknown as Record<symbol, (h: Float64Array, b: Uint32Array, n: number) => void>)[counted!]!.bind(t);
  // Two entries claimed, one given: the second would be whatever the last batch left in the core's window.
  for (const [handles, bytes] of [
    [new Float64Array([c1]), new Uint32Array([1, 1])],
    [new Float64Array([c1, c2]), new Uint32Array([1])],
  ] as const) {
    assert.throws(() => record(handles, bytes, 2));
  }
  assert.is(t.describe(c1).traffic!.bytes, 10);
  assert.is(t.describe(c2).traffic!.bytes, 20);
});

test.run();
