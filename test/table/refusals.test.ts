// The messages of refused calls (src/table/refusals.ts), which both tables throw.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, Kind, State, OffloadError } from '../../src/index.js';
import * as refuse from '../../src/table/refusals.js';

const P = 2 * 2 ** 51 + 3;
const C = 3 * 2 ** 51 + 2 ** 26 + 9; // connection #9, generation 1

function thrown(fn: () => unknown): OffloadError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, OffloadError);
    return e as OffloadError;
  }
  throw new Error('nothing was thrown');
}

const test = suite('refusals');

test('a refusal names the call, the entry inside a batch, and the handle it is about', () => {
  let e = thrown(() => refuse.staleHandle('terminate', C, 4));
  assert.is(e.code, ErrorCode.StaleHandle);
  assert.is(e.index, 4);
  assert.is(e.handle, C);
  assert.is(e.message, `terminate (entry 4): connection #9 (handle ${C}) is stale: its object was freed, or it never belonged to this table`);
  e = thrown(() => refuse.wrongKind('offloadPath', P, Kind.Neighbor));
  assert.is(e.index, undefined);
  assert.is(e.message, `offloadPath: path #3 (handle ${P}) is not a neighbor`);
  e = thrown(() => refuse.wrongState('completeTerminate', C, State.Offloaded, State.Terminating, 0));
  assert.is(e.message, `completeTerminate (entry 0): connection #9 (handle ${C}) is Offloaded, expected Terminating`);
});

test('leaving: Terminating or pending, and what the call could not do', () => {
  assert.match(thrown(() => refuse.leaving('offloadConnection', P, true, 'parent')).message, /is Terminating: nothing new can be offloaded under it$/);
  assert.match(thrown(() => refuse.leaving('updatePath', P, false, 'update')).message, /has a termination pending: its cached variables can no longer change$/);
  assert.match(thrown(() => refuse.leaving('relinkPath', P, true, 'oldNeighbor')).message, /^relinkPath: the path's neighbor path #3/);
});

test('repeatedKey names the earlier entry with the same path and ports', () => {
  const paths = Float64Array.from([P, P, P + 1, P]);
  const ports = Uint32Array.from([1, 2, 2, 2]);
  const e = thrown(() => refuse.repeatedKey('offloadConnections', paths, ports, 3));
  assert.is(e.code, ErrorCode.DuplicateKey);
  assert.is(e.index, 3);
  assert.match(e.message, /\(ports 0 -> 2 on path #3 .*\) repeats entry 1 of the same batch$/);
});

test('capacity says which limit, what the table holds and, in a batch, the first entry that does not fit', () => {
  const limits = { maxNeighbors: 10, maxPaths: 20, maxConnections: 5 };
  let e = thrown(() => refuse.capacity('offloadConnections', Kind.Connection, 3, 4, limits, true));
  assert.is(e.code, ErrorCode.Capacity);
  assert.is(e.index, 2, 'entries 0 and 1 fit (3 + 2 = 5)');
  assert.match(e.message, /^offloadConnections \(entry 2\): 4 new connections would exceed maxConnections \(5\): the table holds 3\./);
  e = thrown(() => refuse.capacity('offloadPath', Kind.Path, 20, 1, limits, false));
  assert.is(e.index, undefined);
  assert.match(e.message, /^offloadPath: a new path would exceed maxPaths \(20\): the table holds 20\..*now 10 neighbors, 20 paths, 5 connections\)$/);
});

test('out of memory gives the cap, the memory in use and the live objects', () => {
  const e = thrown(() => refuse.outOfMemory('offloadConnections', 1 << 20, 1 << 20, [1, 2, 3]));
  assert.is(e.code, ErrorCode.OutOfMemory);
  assert.match(e.message, /cap 1048576 bytes, in use 1048576; live: 1 neighbors, 2 paths, 3 connections\); the table is unchanged/);
});

test.run();
