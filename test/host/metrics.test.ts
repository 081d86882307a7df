// The host's metric counters: percentiles of the time to offload against sorting, and the
// snapshot's shape.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { MetricsCounters } from '../../src/host/metrics.js';
import { Kind, Reason } from '../../src/index.js';

const test = suite('host metrics');
const now = { occupied: 0, capacity: 0, open: 0, offloaded: 0 };

test('time-to-offload percentiles are the nearest-rank ones of the samples, whenever a snapshot is taken', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 50 }).map((x) => x * 100),
          fc.boolean(),
        ),
        { maxLength: 300 },
      ),
      (samples) => {
        const m = new MetricsCounters();
        const seen: number[] = [];
        const check = () => {
          const sorted = [...seen].sort((a, b) => a - b);
          const rank = (p: number) => (sorted.length ? sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]! : 0);
          assert.equal(m.snapshot(now).timeToOffloadMs, { p50: rank(0.5), p99: rank(0.99), count: seen.length });
        };
        // Snapshots between samples (as the lab's timeline takes them): new values after a snapshot count too.
        for (const [s, snapshotNow] of samples) {
          m.timeToOffload(s);
          seen.push(s);
          if (snapshotNow) check();
        }
        check();
      },
    ),
  );
});

test('terminations by reason count connections; by kind count every object; failures keep the first ten', () => {
  const m = new MetricsCounters();
  m.terminated(Kind.Connection, Reason.Application);
  m.terminated(Kind.Connection, 70);
  m.terminated(Kind.Path, Reason.Orphaned);
  for (let i = 0; i < 12; i++) m.fail(`f${i}`);
  const s = m.snapshot({ ...now, occupied: 3 });
  assert.equal(s.terminationsByReason, { Application: 1, 'reason 70': 1 });
  assert.equal(s.terminationsByKind, { Neighbor: 0, Path: 1, Connection: 2 });
  assert.is(s.terminations, 2);
  assert.equal(s.nothingLost, { checked: 0, failures: 12, firstFailures: Array.from({ length: 10 }, (_, i) => `f${i}`) });
  assert.is(s.peakOccupied, 3);
});

test.run();
