// Staged walks (assembly/indexes/keyindex.ts, "staged walks"): the index sweep of a bulk
// completion touches a group of buckets' objects before processing them. Touching changes nothing,
// so for every walk group the table must answer exactly as one at a time (group 1), through the
// calls around a cascade: same batches in the same order with the same reasons, same victim order,
// same errors, and every invariant holding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { OffloadTable, Reason, Kind, type TerminateBatch } from '../../src/index.js';

const setWalkGroup = (t: OffloadTable, g: number) => (t as unknown as { core: { exports: { setWalkGroup(g: number): void } } }).core.exports.setWalkGroup(g);
const batch = (b: TerminateBatch) => ({ handles: [...b.handles], reasons: [...b.reasons] });
const outcome = (fn: () => unknown) => {
  try {
    return { ok: fn() };
  } catch (e) {
    return { error: String(e) };
  }
};

const plan = fc.record({
  paths: fc.integer({ min: 1, max: 12 }),
  connections: fc.integer({ min: 0, max: 300 }),
  /** Connections left Offloading (their initiate in flight), by index modulo. */
  inFlight: fc.integer({ min: 0, max: 9 }),
  traffic: fc.array(fc.nat(400), { maxLength: 400 }),
  named: fc.array(fc.nat(400), { maxLength: 60 }),
  group: fc.integer({ min: 2, max: 64 }),
});

test('every walk group answers as group 1: traffic, victims, terminate, complete, interface cascade', () => {
  fc.assert(
    fc.property(plan, (p) => {
      const run = (group: number) => {
        const t = OffloadTable.createSync();
        setWalkGroup(t, group);
        const ns = [1, 2].map((i) => t.offloadNeighbor({ ifIndex: i, address: `10.0.0.${i}` }));
        const paths = Array.from({ length: p.paths }, (_, i) => t.offloadPath({ source: '10.0.1.1', destination: `10.0.2.${i}` }, ns[i & 1]!));
        t.completeOffload([...ns, ...paths]);
        const cs = t.offloadConnections(
          Array.from({ length: p.connections }, (_, i) => paths[(i * 7) % p.paths]!),
          Array.from({ length: p.connections }, (_, i) => 1000 + i),
          new Array(p.connections).fill(443),
          Array.from({ length: p.connections }, (_, i) => (i * 5) % 4),
        );
        t.completeOffload(cs.filter((_, i) => p.inFlight === 0 || i % 10 !== p.inFlight));
        const all = [...cs, ...paths, ...ns];
        const out: unknown[] = [];
        const traffic = p.traffic.map((i) => cs[i % Math.max(1, cs.length)] ?? 0).filter((h) => h !== 0);
        out.push(
          outcome(() =>
            t.recordTrafficBatch(
              traffic,
              traffic.map((_, i) => i),
            ),
          ),
        );
        out.push(
          outcome(() =>
            t.recordTrafficBatch(
              [...traffic, paths[0]!],
              [...traffic, 0].map(() => 1),
            ),
          ),
        ); // fails: a path
        out.push([...t.chooseVictims(1000, 256)]);
        const named = p.named.map((i) => all[i % all.length]!);
        const b = t.terminate(named, Reason.LowActivity);
        out.push(batch(b));
        out.push(batch(t.completeTerminate(b.handles)));
        out.push(outcome(() => batch(t.terminateInterface(1, Reason.MediaDisconnect))));
        out.push([...t.handles(Kind.Connection)], [...t.chooseVictims(1000, 256)]);
        t.check();
        return out;
      };
      assert.equal(run(p.group), run(1));
    }),
    { numRuns: 120 },
  );
});

test.run();
