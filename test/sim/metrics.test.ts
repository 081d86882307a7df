// A run's figures from the host's counters: ratios, churn per second, conservation, and a
// timeline whose samples are differences between successive metrics() calls.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { summarize, Timeline, oracleRatio, type HostMetrics } from '../../src/sim/metrics.js';

const test = suite('sim/metrics');

const metrics = (over: Partial<HostMetrics> = {}): HostMetrics => ({
  offloadedBytes: 0,
  softwareBytes: 0,
  initiates: 0,
  initiateFailures: 0,
  terminations: 0,
  terminationsByReason: {},
  terminationsByKind: {},
  wastedOffloads: 0,
  timeToOffloadMs: { p50: 0, p99: 0, count: 0 },
  occupied: 0,
  capacity: 10,
  peakOccupied: 0,
  connectionsOpen: 0,
  connectionsOffloaded: 0,
  nothingLost: { checked: 0, failures: 0, firstFailures: [] },
  ...over,
});

test('samples are what happened since the previous sample', () => {
  const t = new Timeline(600, 60);
  assert.is(t.every, 10);
  assert.ok(t.due(9) && !t.due(10) && t.due(19));
  t.add(1000, metrics({ offloadedBytes: 100, softwareBytes: 50, terminationsByReason: { Application: 2 }, occupied: 4 }));
  const s = t.add(2000, metrics({ offloadedBytes: 130, softwareBytes: 80, terminationsByReason: { Application: 2, LowActivity: 1 }, occupied: 3 }));
  assert.equal(s, { atMs: 2000, occupied: 3, open: 0, offloaded: 0, offloadedBytes: 30, softwareBytes: 30, terminations: { LowActivity: 1 } });
  assert.is(new Timeline(10, 60).every, 1);
});

test('ratios, churn per second and conservation', () => {
  const r = summarize({
    policy: 'p',
    capacity: 10,
    totalBytes: 1000,
    connections: 5,
    durationMs: 20_000,
    check: 'ok',
    errors: { count: 0, first: [] },
    wallMs: 1,
    timeline: [],
    metrics: metrics({ offloadedBytes: 600, softwareBytes: 400, initiates: 30, terminations: 10, terminationsByKind: { Connection: 10, Path: 99 } }),
    oracle: { offloadedBytes: 800, offloadRatio: 0.8, churnPerSecond: 1 },
  });
  assert.is(r.offloadRatio, 0.6);
  assert.is(r.oracleRatio, 0.75);
  assert.is(r.churnPerSecond, 2, 'initiates + connection terminations (not paths) per simulated second');
  assert.ok(r.conserved);
  const lost = summarize({
    policy: 'p',
    capacity: 1,
    totalBytes: 1001,
    connections: 1,
    durationMs: 0,
    check: 'ok',
    errors: { count: 0, first: [] },
    wallMs: 0,
    timeline: [],
    metrics: metrics({ offloadedBytes: 1000 }),
  });
  assert.not.ok(lost.conserved);
  assert.ok(Number.isNaN(lost.oracleRatio), 'no oracle ran');
  assert.is(lost.churnPerSecond, 0);
  assert.is(oracleRatio(0, 0), 1, 'nothing to offload: the policy did all it could');
});

test.run();
