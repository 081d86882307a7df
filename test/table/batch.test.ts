// Batches of connections are all or none, also when they are staged in chunks (over 65,536
// entries) and when a key repeats inside the batch: the rollback restores slots exactly, so a
// table that saw the failed batch hands out the same handles as a twin that never saw it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OffloadTable, ErrorCode, Kind, Reason } from '../../src/index.js';
import { throwsCode, snapshot } from '../helpers.js';

interface Ctx {
  a: OffloadTable;
  b: OffloadTable;
  paths: number[];
}
const test = suite<Ctx>('batch');

/** Two identical tables with 4 paths, 1,000 connections, and 300 freed slots on the free list. */
test.before.each((ctx) => {
  for (const side of ['a', 'b'] as const) {
    const t = OffloadTable.createSync();
    const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
    const paths = [0, 1, 2, 3].map((i) => t.offloadPath({ source: '10.0.0.2', destination: `10.9.0.${i}` }, n));
    t.completeOffload([n, ...paths]);
    const cs = t.offloadConnections(
      Array.from({ length: 1000 }, (_, i) => paths[i % 4]!),
      Array.from({ length: 1000 }, (_, i) => i),
      Array(1000).fill(1),
    );
    t.completeOffload(cs);
    t.completeTerminate(t.terminate(cs.subarray(100, 400), Reason.Application).handles);
    ctx[side] = t;
    ctx.paths = paths;
  }
});

/** The same next offloads on both tables give the same handles, and the tables look the same. */
function assertTwins({ a, b, paths }: Ctx): void {
  assert.is(snapshot(a), snapshot(b));
  const next = (t: OffloadTable) =>
    t.offloadConnections(
      Array.from({ length: 500 }, (_, i) => paths[i % 4]!),
      Array.from({ length: 500 }, (_, i) => 5000 + i),
      Array(500).fill(2),
    );
  assert.equal(next(a), next(b), 'slot reuse after the rollback is exactly as if the batch never happened');
  a.check();
}

/** A batch of `n` entries with distinct keys, under the four paths. */
function batch(paths: number[], n: number) {
  return {
    parents: Float64Array.from({ length: n }, (_, i) => paths[i % 4]!),
    local: Uint16Array.from({ length: n }, (_, i) => 10000 + Math.floor(i / 4)),
    remote: new Uint16Array(n).fill(9),
  };
}

test('a key repeated inside a small batch: DuplicateKey at the second entry, nothing placed', (ctx) => {
  const { parents, local, remote } = batch(ctx.paths, 1000);
  local[700] = local[20]!;
  parents[700] = parents[20]!;
  const e = throwsCode(() => ctx.a.offloadConnections(parents, local, remote), ErrorCode.DuplicateKey, /repeats entry 20 of the same batch/);
  assert.is(e.index, 700);
  assertTwins(ctx);
});

test('a key repeated across chunks of a large batch: earlier chunks are undone', (ctx) => {
  const { parents, local, remote } = batch(ctx.paths, 150_000);
  local[140_001] = local[3]!;
  parents[140_001] = parents[3]!;
  const e = throwsCode(() => ctx.a.offloadConnections(parents, local, remote), ErrorCode.DuplicateKey, /repeats entry 3 of the same batch/);
  assert.is(e.index, 140_001);
  assertTwins(ctx);
});

test('a bad parent in a late chunk is found before anything is placed', (ctx) => {
  const { parents, local, remote } = batch(ctx.paths, 150_000);
  parents[131_073] = ctx.a.handles(Kind.Neighbor)[0]!;
  const e = throwsCode(() => ctx.a.offloadConnections(parents, local, remote), ErrorCode.WrongKind);
  assert.is(e.index, 131_073);
  // Entry 99,999 now repeats an existing connection (path 0, ports 500 -> 1), in an earlier chunk
  // than the bad parent: the first error in batch order wins, as for a small batch.
  local[99_999] = 500;
  parents[99_999] = ctx.paths[0]!;
  remote[99_999] = 1;
  const dup = throwsCode(() => ctx.a.offloadConnections(parents, local, remote), ErrorCode.DuplicateKey, /already/);
  assert.is(dup.index, 99_999);
  assertTwins(ctx);
});

test('a large batch succeeds whole and matches one made in small batches', (ctx) => {
  const { parents, local, remote } = batch(ctx.paths, 200_000);
  const big = ctx.a.offloadConnections(parents, local, remote);
  const parts: number[] = [];
  for (let from = 0; from < 200_000; from += 50_000) {
    parts.push(...ctx.b.offloadConnections(parents.subarray(from, from + 50_000), local.subarray(from, from + 50_000), remote.subarray(from, from + 50_000)));
  }
  assert.equal([...big], parts);
  assert.is(ctx.a.count(Kind.Connection), 700 + 200_000);
  assertTwins(ctx);
});

test('Capacity for a whole large batch is checked before any chunk is placed', () => {
  const t = OffloadTable.createSync({ maxConnections: 100_000 });
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  const p = t.offloadPath({ source: '10.0.0.2', destination: '10.9.0.1' }, n);
  const before = snapshot(t);
  throwsCode(
    () =>
      t.offloadConnections(
        new Float64Array(100_001).fill(p),
        Uint16Array.from({ length: 100_001 }, (_, i) => i % 65536),
        Uint16Array.from({ length: 100_001 }, (_, i) => Math.floor(i / 65536)),
      ),
    ErrorCode.Capacity,
  );
  assert.is(snapshot(t), before);
  t.check();
});

test('empty batches share one frozen pair of arrays: nothing written to one reaches another', () => {
  const t = OffloadTable.createSync();
  const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
  const a = t.completeOffload([n]);
  assert.is(a.length, 0);
  assert.ok(Object.isFrozen(a.handles) && Object.isFrozen(a.reasons));
  assert.throws(() => {
    (a.handles as unknown as { tag: number }).tag = 1;
  });
  const b = t.completeTerminate(t.terminate([n], Reason.Application).handles);
  assert.is(b.length, 0);
  assert.is((b.handles as unknown as { tag?: number }).tag, undefined);
});

test.run();
