// The reports are self-contained HTML: inline SVG charts, no script or external resource, and
// every name that comes from a user (scenario, policy module path) escaped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderRunReport, renderRunCharts } from '../../src/sim/report.js';
import type { RunResult } from '../../src/sim/metrics.js';

const test = suite('sim/report');
const evil = '<script>alert("x")</script>';

const run: RunResult = {
  policy: `./${evil}.mjs`,
  capacity: 10,
  offloadedBytes: 6e8,
  softwareBytes: 4e8,
  totalBytes: 1e9,
  conserved: true,
  offloadRatio: 0.6,
  oracleRatio: 0.75,
  initiates: 5,
  initiateFailures: 1,
  terminations: 4,
  terminationsByReason: { Application: 3, [evil]: 1 },
  terminationsByKind: { Connection: 4 },
  churnPerSecond: 0.9,
  wastedOffloads: 1,
  timeToOffloadMs: { p50: 100, p99: 200, count: 5 },
  peakOccupied: 10,
  check: 'ok',
  nothingLost: true,
  nothingLostDetail: { checked: 4, failures: 0, firstFailures: [] },
  errors: { count: 0, first: [] },
  connections: 7,
  durationMs: 10_000,
  wallMs: 3,
  timeline: [1, 2, 3].map((i) => ({
    atMs: i * 1000,
    occupied: i,
    open: 5,
    offloaded: i,
    offloadedBytes: 200,
    softwareBytes: 100,
    terminations: { Application: 1, [evil]: i === 2 ? 1 : 0 },
  })),
  oracle: { offloadedBytes: 800, offloadRatio: 0.8, churnPerSecond: 2 },
};

test('a run report: four charts, its figures, nothing a browser would fetch or run', () => {
  const html = renderRunReport(run, { scenario: evil, seed: 9 });
  assert.is((html.match(/<svg /g) ?? []).length, 4);
  assert.not.ok(html.includes('<script'), 'user text is escaped');
  assert.ok(html.includes('&lt;script&gt;'));
  assert.not.match(html, /<link|src=|url\(/);
  for (const t of ['60.0%', '75.0%', '0.60 GB', 'capacity 10', 'seed 9']) assert.ok(html.includes(t), t);
});

test('timeline charts scale capacity use to the capacity, and show every reason that occurred', () => {
  const svg = renderRunCharts(run.timeline, 10);
  assert.ok(svg.includes('% of capacity'));
  assert.ok(svg.includes('Application'));
  assert.is((svg.match(/<svg /g) ?? []).length, 4);
  assert.is((renderRunCharts([], 0).match(/<svg /g) ?? []).length, 4, 'an empty run still draws its axes');
});

test.run();
