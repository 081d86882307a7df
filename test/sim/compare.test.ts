// compare's plumbing without running a host: the jobs of a sweep, shards that partition them,
// merge (which refuses mixed, overlapping or incomplete inputs), the JSON shape, the table and the
// report. End-to-end runs are in test/sim/lab.test.ts and test/cli/cli.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { assemble, formatTable, merge, MergeError, parseShard, planJobs, runOrder, type CompareOutput, type JobResult } from '../../src/sim/compare.js';
import { renderCompareReport } from '../../src/sim/report.js';
import type { RunResult } from '../../src/sim/metrics.js';

const test = suite('sim/compare');

const plan = { policies: [{ policy: 'eager' }, { policy: 'threshold' }, { policy: './mine.mjs' }], capacities: [10, 20] };

function fakeRun(policy: string, capacity: number, offloadedBytes: number): RunResult {
  return {
    policy,
    capacity,
    offloadedBytes,
    softwareBytes: 1000 - offloadedBytes,
    totalBytes: 1000,
    conserved: true,
    offloadRatio: offloadedBytes / 1000,
    oracleRatio: Number.NaN,
    initiates: 5,
    initiateFailures: 0,
    terminations: 4,
    terminationsByReason: { Application: 4 },
    terminationsByKind: { Connection: 4 },
    churnPerSecond: 0.9,
    wastedOffloads: 1,
    timeToOffloadMs: { p50: 100, p99: 200, count: 5 },
    peakOccupied: capacity,
    check: 'ok',
    nothingLost: true,
    nothingLostDetail: { checked: 4, failures: 0, firstFailures: [] },
    errors: { count: 0, first: [] },
    connections: 7,
    durationMs: 10_000,
    wallMs: 3,
    timeline: [
      { atMs: 5000, occupied: 3, open: 5, offloaded: 3, offloadedBytes: offloadedBytes / 2, softwareBytes: 10, terminations: { Application: 1 } },
      { atMs: 10_000, occupied: 2, open: 2, offloaded: 2, offloadedBytes: offloadedBytes / 2, softwareBytes: 5, terminations: {} },
    ],
  };
}

const oracle: JobResult = {
  kind: 'oracle',
  summary: {
    totalBytes: 1000,
    connections: 7,
    peakAlive: 6,
    peakActive: 5,
    ticks: 100,
    durationMs: 10_000,
    results: [
      { capacity: 10, offloadedBytes: 800, offloadRatio: 0.8, initiates: 3, terminations: 2, churnPerSecond: 0.5 },
      { capacity: 20, offloadedBytes: 1000, offloadRatio: 1, initiates: 3, terminations: 2, churnPerSecond: 0.5 },
    ],
  },
};

/** Runs a plan (or one shard of it) with fake results: cell c offloads 100 + 10c bytes. */
function sweep(shard?: { index: number; count: number }): CompareOutput {
  const results: JobResult[] = planJobs(plan, shard).map((j) =>
    j.kind === 'oracle' ? oracle : { kind: 'cell', cell: j.cell, result: fakeRun(j.policy.policy, j.capacity, 100 + 10 * j.cell) },
  );
  return assemble({ scenario: 's', seed: 1, plan, shard }, results.reverse());
}

test('a sweep: the oracle job first, then every cell, policy-major', () => {
  const jobs = planJobs(plan);
  assert.is(jobs[0]!.kind, 'oracle');
  assert.equal(
    jobs.slice(1).map((j) => (j.kind === 'cell' ? `${j.cell}:${j.policy.policy}@${j.capacity}` : '')),
    ['0:eager@10', '1:eager@20', '2:threshold@10', '3:threshold@20', '4:./mine.mjs@10', '5:./mine.mjs@20'],
  );
});

test('workers start the costliest jobs first: largest capacity first, the oracle last, each job once', () => {
  const jobs = planJobs(plan);
  const order = runOrder(jobs);
  assert.equal(
    [...order].sort((a, b) => a - b),
    jobs.map((_, i) => i),
  );
  assert.equal(
    order.map((i) => jobs[i]!).map((j) => (j.kind === 'cell' ? `${j.cell}@${j.capacity}` : 'oracle')),
    ['1@20', '3@20', '5@20', '0@10', '2@10', '4@10', 'oracle'],
  );
});

test('shards partition the cells, whatever N', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), (n) => {
      const cells = Array.from({ length: n }, (_, i) => planJobs(plan, { index: i + 1, count: n }).flatMap((j) => (j.kind === 'cell' ? [j.cell] : []))).flat();
      assert.equal(
        cells.sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5],
      );
    }),
  );
  assert.equal(parseShard('2/8'), { index: 2, count: 8 });
  for (const bad of ['0/3', '4/3', '1/0', '2', 'a/b', '1/3/4', '-1/2']) assert.type(parseShard(bad), 'string', bad);
});

test('the JSON has the fixed names, in order, and oracleRatio against the oracle at that capacity', () => {
  const out = sweep();
  assert.equal(Object.keys(out).slice(0, 6), ['scenario', 'seed', 'connections', 'totalBytes', 'results', 'oracle']);
  assert.equal(Object.keys(out.results[0]!).slice(0, 12), [
    'policy',
    'capacity',
    'offloadedBytes',
    'softwareBytes',
    'offloadRatio',
    'oracleRatio',
    'initiates',
    'terminations',
    'churnPerSecond',
    'wastedOffloads',
    'check',
    'nothingLost',
  ]);
  assert.equal(Object.keys(out.oracle[0]!).slice(0, 4), ['capacity', 'offloadedBytes', 'offloadRatio', 'churnPerSecond']);
  assert.is(out.results[0]!.oracleRatio, 100 / 800);
  assert.is(out.results[1]!.oracleRatio, 110 / 1000);
  assert.equal(
    out.results.map((r) => r.cell),
    [0, 1, 2, 3, 4, 5],
  );
});

test('merge of the shards equals the whole sweep; in any order', () => {
  const whole = sweep();
  const shards = [1, 2, 3, 4].map((i) => sweep({ index: i, count: 4 }));
  assert.equal(
    merge(shards.reverse().map((output, i) => ({ name: `s${i}.json`, output: JSON.parse(JSON.stringify(output)) }))),
    JSON.parse(JSON.stringify(whole)),
  );
});

test('merge refuses what is not one sweep, overlaps and missing cells, naming each', () => {
  const a = sweep({ index: 1, count: 3 });
  const b = sweep({ index: 2, count: 3 });
  const problems = (parts: { name: string; output: unknown }[]) => {
    try {
      merge(parts);
    } catch (e) {
      assert.instance(e, MergeError);
      return (e as MergeError).problems.join('\n');
    }
    assert.unreachable();
    return '';
  };
  assert.match(
    problems([
      { name: 'a.json', output: a },
      { name: 'b.json', output: b },
    ]),
    /cells 2, 5 are missing: run shard 3 of 3/,
  );
  assert.match(
    problems([
      { name: 'a.json', output: a },
      { name: 'a2.json', output: a },
      { name: 'b.json', output: b },
    ]),
    /a2\.json: cell 0 \(eager at 10\) is also in another input/,
  );
  assert.match(
    problems([
      { name: 'a.json', output: a },
      { name: 'x.json', output: { ...b, seed: 2 } },
    ]),
    /x\.json: another sweep/,
  );
  assert.match(problems([{ name: 'n.json', output: [1, 2] }]), /n\.json: not the output of "chimney-host compare --json"/);
  assert.match(problems([]), /no input/);
});

test('the table and the report show every run and the oracle', () => {
  const out = sweep();
  const table = formatTable(out);
  assert.match(table, /capacity\s+policy\s+offloaded\s+of oracle\s+churn\/s/);
  assert.is((table.match(/oracle\s+80\.0%\s+100%/g) ?? []).length, 1);
  assert.match(table, /\.\/mine\.mjs\s+15\.0%/);
  out.results[0]!.errors = { count: 1234, first: ['offloading a path failed'] };
  assert.match(formatTable(out), /eager\s+10\.0%.*1,234 host errors/);
  const html = renderCompareReport(out);
  assert.is((html.match(/<svg /g) ?? []).length, 3 + 2 * 3);
  for (const t of [
    'Offload ratio against capacity',
    'Churn against capacity',
    'Wasted offloads against capacity',
    'eager: each run over time',
    './mine.mjs: capacity use',
  ])
    assert.ok(html.includes(t), t);
  assert.ok(html.includes('stroke-dasharray="6 4"'), "the oracle's curve is dashed");
  assert.not.match(html, /<script|<link|src=|url\(/, 'no external resources');
});

test.run();
