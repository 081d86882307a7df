// Shared test helpers: both table implementations, tree builders, error and snapshot assertions.
import * as assert from 'uvu/assert';
import { OffloadTable, OffloadError, ErrorCode, Kind, type TableOptions, type TerminateBatch } from '../src/index.js';
import { ReferenceTable } from '../src/reference/index.js';
import type { OffloadTableApi } from '../src/table/types.js';

export type Table = OffloadTableApi;

/** Both implementations, so that every rule is proven of the core and of the reference. */
export const implementations: [string, (options?: TableOptions) => Table][] = [
  ['core', (options) => OffloadTable.createSync(options)],
  ['reference', (options) => ReferenceTable.createSync(options)],
];

/** Runs `fn` and asserts it throws OffloadError with `code`; returns the error. */
export function throwsCode(fn: () => unknown, code: ErrorCode, message?: RegExp): OffloadError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, OffloadError, `expected OffloadError(${code}), got ${String(e)}`);
    const err = e as OffloadError;
    assert.is(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.unreachable(`expected OffloadError(${code}), nothing was thrown`);
  throw new Error('unreachable');
}

/** Everything observable about a table, to prove that a failed call changed nothing. */
export function snapshot(t: Table): string {
  const out: unknown[] = [];
  for (const kind of [Kind.Neighbor, Kind.Path, Kind.Connection]) {
    out.push(t.count(kind));
    for (const h of t.handles(kind)) {
      const info = t.describe(h);
      out.push({ ...info, dependents: [...t.dependents(h)].sort() });
    }
  }
  return JSON.stringify(out);
}

export interface Tree {
  neighbor: number;
  paths: number[];
  connections: number[][]; // per path
  all: number[];
}

/** A neighbor on `ifIndex` with `paths` paths of `perPath` connections each, all Offloading. */
export function buildTree(t: Table, ifIndex: number, paths: number, perPath: number, tag = 0): Tree {
  const neighbor = t.offloadNeighbor({ ifIndex, address: `10.${tag}.${ifIndex}.1` });
  const tree: Tree = { neighbor, paths: [], connections: [], all: [neighbor] };
  for (let p = 0; p < paths; p++) {
    const path = t.offloadPath({ source: `10.${tag}.${ifIndex}.2`, destination: `172.16.${ifIndex}.${p + 1}` }, neighbor);
    tree.paths.push(path);
    tree.all.push(path);
    const cs: number[] = [];
    for (let c = 0; c < perPath; c++) cs.push(t.offloadConnection({ localPort: 1000 + c, remotePort: 80, priority: c % 8 }, path));
    tree.connections.push(cs);
    tree.all.push(...cs);
  }
  return tree;
}

/** buildTree, then completes every initiate. */
export function offloadedTree(t: Table, ifIndex: number, paths: number, perPath: number, tag = 0): Tree {
  const tree = buildTree(t, ifIndex, paths, perPath, tag);
  t.completeOffload(tree.all);
  return tree;
}

/** Asserts that every dependent in the batch comes before its parent (when both are in it). */
export function assertPostOrder(t: Table, batch: TerminateBatch): void {
  const position = new Map<number, number>();
  batch.handles.forEach((h, i) => position.set(h, i));
  batch.handles.forEach((h, i) => {
    const parent = t.parent(h);
    const at = position.get(parent);
    if (at !== undefined) assert.ok(at > i, `parent ${parent} at ${at} comes before its dependent ${h} at ${i}`);
  });
}

/** Pairs "handle:reason" of a batch, sorted: for comparing batches whose order within a level may differ. */
export function entries(batch: TerminateBatch): string[] {
  return [...batch.handles].map((h, i) => `${h}:${batch.reasons[i]}`).sort();
}

export const sorted = (a: ArrayLike<number>) => [...Array.from(a)].sort((x, y) => x - y);

/**
 * Runs `f` while the `fail`-th `type` (Float64Array unless given) of more than 1024 entries made
 * from now on throws, as a failed allocation does.
 */
export function withFailingAllocation<T>(fail: number, f: () => T, type: 'Float64Array' | 'Int32Array' = 'Float64Array'): T {
  const real = globalThis[type];
  let made = 0;
  globalThis[type] = new Proxy(real, {
    construct(target, args) {
      if (typeof args[0] === 'number' && args[0] > 1024 && ++made === fail) throw new RangeError('Array buffer allocation failed');
      return Reflect.construct(target, args);
    },
  }) as never;
  try {
    return f();
  } finally {
    globalThis[type] = real as never;
  }
}
