// Linear memory: it grows in the middle of batches without any view reading a detached buffer,
// and a memory cap turns exhaustion into OutOfMemory with the table intact.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OffloadTable, ErrorCode, Kind, Reason, encodeAddresses } from '../../src/index.js';
import { throwsCode, offloadedTree, snapshot } from '../helpers.js';

const test = suite('memory');

/** A table with one neighbor and `paths` Offloaded paths 10.0.0.1 -> 10.1.x.y. */
function withPaths(t: OffloadTable, paths: number): Float64Array {
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.254' });
  const out = new Float64Array(paths);
  for (let i = 0; i < paths; i++) out[i] = t.offloadPath({ source: '10.0.0.1', destination: `10.1.${i >> 8}.${i & 255}` }, n);
  t.completeOffload([n, ...out]);
  return out;
}

test('memory grows in the middle of a batch and every result stays readable', () => {
  const t = OffloadTable.createSync({ initialMemoryBytes: 65536 });
  const start = t.memory().linearBytes;
  const paths = withPaths(t, 100);
  const n = 200_000;
  const parents = new Float64Array(n);
  const local = new Uint16Array(n);
  const remote = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    parents[i] = paths[i % 100]!;
    local[i] = 1024 + Math.floor(i / 100);
    remote[i] = 443;
  }
  const handles = t.offloadConnections(parents, local, remote);
  assert.ok(t.memory().linearBytes > start * 8, `memory grew many times during the call (${start} -> ${t.memory().linearBytes})`);
  assert.is(t.count(Kind.Connection), n);
  const found = t.findConnections({
    sources: encodeAddresses(Array.from({ length: n }, () => '10.0.0.1')),
    destinations: encodeAddresses(Array.from({ length: n }, (_, i) => `10.1.0.${i % 100}`)),
    localPorts: local,
    remotePorts: remote,
  });
  assert.equal(found, handles);
  assert.is(t.describe(handles[n - 1]!).kind, Kind.Connection);
  t.check();
});

test('a memory cap turns exhaustion into OutOfMemory and leaves the table intact', () => {
  const t = OffloadTable.createSync({ maxMemoryBytes: 4 << 20 });
  const paths = withPaths(t, 50);
  let port = 1;
  let error: unknown;
  let before = '';
  let connectionsBefore = 0;
  for (let round = 0; round < 1000 && !error; round++) {
    const parents = Array.from({ length: 2000 }, (_, i) => paths[i % 50]!);
    const local = Array.from({ length: 2000 }, (_, i) => port + Math.floor(i / 50));
    connectionsBefore = t.count(Kind.Connection);
    before = `${connectionsBefore}/${t.handles(Kind.Connection).join()}`;
    try {
      t.completeOffload(t.offloadConnections(parents, local, Array(2000).fill(80)));
      port += 40;
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error, 'the cap was reached');
  assert.is((error as { code: string }).code, ErrorCode.OutOfMemory);
  assert.match((error as Error).message, /maxMemoryBytes/);
  assert.is(`${t.count(Kind.Connection)}/${t.handles(Kind.Connection).join()}`, before, 'the failed batch added nothing');
  assert.ok(t.memory().linearBytes <= 4 << 20);
  t.check();
  // Single-object calls fail the same way once memory is full, and the table keeps working.
  const full = snapshot(t);
  let single: unknown;
  for (let i = 0; i < 100_000 && !single; i++) {
    try {
      t.offloadNeighbor({ ifIndex: 2, address: `172.${i >> 16}.${(i >> 8) & 255}.${i & 255}` });
    } catch (e) {
      single = e;
    }
  }
  assert.is((single as { code: string }).code, ErrorCode.OutOfMemory);
  assert.is.not(snapshot(t), full);
  t.check();
  // Terminating frees slots that new objects reuse without more memory.
  const done = t.terminateInterface(1, Reason.PowerTransition);
  assert.is(done.length, connectionsBefore + 50 + 1, 'every connection, path and the neighbor, without new memory');
  t.completeTerminate(done.handles);
  assert.is(t.count(Kind.Connection), 0);
  const again = withPaths(t, 50);
  t.offloadConnections(
    Array.from({ length: 2000 }, (_, i) => again[i % 50]!),
    Array.from({ length: 2000 }, (_, i) => 1 + i),
    Array(2000).fill(80),
  );
  t.check();
});

test('tables are independent: own memory, own handles', () => {
  const a = OffloadTable.createSync();
  const b = OffloadTable.createSync();
  const ta = offloadedTree(a, 1, 2, 2);
  const tb = offloadedTree(b, 1, 1, 1);
  a.completeTerminate(a.terminate([ta.neighbor], Reason.Application).handles);
  assert.is(a.count(Kind.Connection), 0);
  assert.is(b.count(Kind.Connection), 1);
  assert.is(b.state(tb.neighbor), 2);
  throwsCode(() => a.state(tb.paths[0]!), ErrorCode.StaleHandle); // b's handle: never allocated in a
  a.check();
  b.check();
});

test('create() compiles once and gives working tables', async () => {
  const [x, y] = await Promise.all([OffloadTable.create(), OffloadTable.create()]);
  offloadedTree(x, 1, 1, 1);
  assert.is(x.count(Kind.Neighbor), 1);
  assert.is(y.count(Kind.Neighbor), 0);
});

test.run();
