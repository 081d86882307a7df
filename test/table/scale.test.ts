// Scale: a neighbor with 1,000,000 dependent connections terminates and completes in one call each.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OffloadTable, Kind, Reason, State } from '../../src/index.js';

const test = suite('scale');

test('a cascade over 1,000,000 connections, one terminate and one completeTerminate', () => {
  const t = OffloadTable.createSync();
  const neighbor = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  const paths = new Float64Array(1000);
  for (let i = 0; i < 1000; i++) paths[i] = t.offloadPath({ source: '10.0.0.2', destination: `10.9.${i >> 8}.${i & 255}` }, neighbor);
  t.completeOffload([neighbor, ...paths]);
  const perPath = 1000;
  const parents = new Float64Array(perPath * 1000);
  const local = new Uint16Array(parents.length);
  const remote = new Uint16Array(parents.length).fill(443);
  for (let i = 0; i < parents.length; i++) {
    parents[i] = paths[i % 1000]!;
    local[i] = 10000 + Math.floor(i / 1000);
  }
  const connections = t.offloadConnections(parents, local, remote);
  t.completeOffload(connections);
  assert.is(t.count(Kind.Connection), 1_000_000);

  const batch = t.terminate([neighbor], Reason.MediaDisconnect);
  assert.is(batch.length, 1_000_000 + 1000 + 1);
  assert.is(t.kind(batch.handles[999_999]!), Kind.Connection);
  assert.is(t.kind(batch.handles[1_000_000]!), Kind.Path);
  assert.is(batch.handles[batch.length - 1], neighbor);
  assert.is(t.state(connections[123_456]!), State.Terminating);
  t.check();
  const orphans = t.completeTerminate(batch.handles);
  assert.is(orphans.length, 0);
  for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) assert.is(t.count(k), 0);
  t.check();
});

test.run();
