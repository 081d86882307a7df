// Batch lookup stages keys in groups (assembly/indexes/keyindex.ts, "grouped lookups"): for every group
// size it must answer exactly what one-key lookups answer, for keys that exist, keys whose path
// exists but whose ports do not, keys with no path, and batches that end mid-group.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { OffloadTable, encodeAddresses as encode } from '../../src/index.js';

const setGroup = (t: OffloadTable, g: number) => (t as unknown as { core: { exports: { setLookupGroup(g: number): void } } }).core.exports.setLookupGroup(g);

/** Few addresses and ports, so keys collide often and probe runs hold near-misses. */
const key = fc.record({ s: fc.nat(5), d: fc.nat(5), l: fc.nat(7), r: fc.nat(3) });

test('grouped batch lookup agrees with one-key lookup for every group size', () => {
  fc.assert(
    fc.property(fc.array(key, { maxLength: 150 }), fc.array(key, { maxLength: 200 }), fc.integer({ min: 1, max: 70 }), (live, queries, group) => {
      const t = OffloadTable.createSync();
      const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
      const paths = new Map<string, number>();
      const seen = new Set<string>();
      for (const k of live) {
        const pk = `${k.s}>${k.d}`;
        if (!paths.has(pk)) paths.set(pk, t.offloadPath({ source: `10.1.0.${k.s}`, destination: `10.2.0.${k.d}` }, n));
        const ck = `${pk}:${k.l}:${k.r}`;
        if (seen.has(ck)) continue;
        seen.add(ck);
        t.offloadConnection({ localPort: k.l, remotePort: k.r }, paths.get(pk)!);
      }
      setGroup(t, group);
      const found = t.findConnections({
        sources: encode(queries.map((q) => `10.1.0.${q.s}`)),
        destinations: encode(queries.map((q) => `10.2.0.${q.d}`)),
        localPorts: queries.map((q) => q.l),
        remotePorts: queries.map((q) => q.r),
      });
      const one = queries.map((q) => t.findConnection({ source: `10.1.0.${q.s}`, destination: `10.2.0.${q.d}`, localPort: q.l, remotePort: q.r }));
      assert.equal([...found], one);
      assert.is(found.filter((h) => h !== 0).length, queries.filter((q) => seen.has(`${q.s}>${q.d}:${q.l}:${q.r}`)).length);
    }),
    { numRuns: 150 },
  );
});

/** Outcome of offloadConnections: the new handles' count, or the error's code, index and handle. */
function attempt(t: OffloadTable, paths: number[], local: number[], remote: number[]): unknown {
  try {
    return t.offloadConnections(paths, local, remote).length;
  } catch (e) {
    const x = e as { code: number; index?: number; handle?: number };
    return { code: x.code, index: x.index, handle: x.handle };
  }
}

test('grouped batch validation reports the same first error as one entry at a time', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ p: fc.nat(2), l: fc.nat(5), r: fc.nat(1) }), { maxLength: 12 }),
      fc.array(fc.record({ p: fc.nat(4), l: fc.nat(5), r: fc.nat(1) }), { minLength: 1, maxLength: 90 }),
      fc.integer({ min: 2, max: 64 }),
      (existing, batch, group) => {
        // The same table twice: one validates one entry at a time, the other in groups.
        const outcomes = [1, group].map((g) => {
          const t = OffloadTable.createSync();
          const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
          const paths = [0, 1, 2, 3].map((i) => t.offloadPath({ source: '10.1.0.1', destination: `10.2.0.${i}` }, n));
          t.terminate([paths[3]!], 1); // index 3 is a path that cannot take connections
          const seen = new Set<string>();
          for (const e of existing) {
            if (seen.has(`${e.p}:${e.l}:${e.r}`)) continue;
            seen.add(`${e.p}:${e.l}:${e.r}`);
            t.offloadConnection({ localPort: e.l, remotePort: e.r }, paths[e.p]!);
          }
          setGroup(t, g);
          const before = t.count(3);
          const r = attempt(
            t,
            batch.map((b) => (b.p === 4 ? 12345 : paths[b.p]!)),
            batch.map((b) => b.l),
            batch.map((b) => b.r),
          );
          if (typeof r !== 'number') assert.is(t.count(3), before, 'a failed batch leaves the table as it was');
          t.check();
          return r;
        });
        assert.equal(outcomes[1], outcomes[0]);
      },
    ),
    { numRuns: 200 },
  );
});

test('grouped batch lookup on an empty table finds nothing', () => {
  const t = OffloadTable.createSync();
  const found = t.findConnections({ sources: encode(['10.0.0.1']), destinations: encode(['10.0.0.2']), localPorts: [1], remotePorts: [2] });
  assert.equal([...found], [0]);
});

test.run();
