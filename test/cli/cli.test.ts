// The command line, run as a user runs it (the built bin, in a child process): every bad argument
// and field is named and exits 2 before anything runs; simulate and compare conserve bytes, stay
// under the oracle, give the same numbers for the same seed with any number of workers or shards,
// and run a user's policy module.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hadoop, smallScenarioJson } from '../sim/helpers.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-cli-'));
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;

/** Runs the built CLI (as a user would after npm install) and returns its exit code and output. */
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000, cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A small valid scenario, changed by `edit`, written to a file. */
function scenarioFile(edit: (s: Record<string, any>) => void = () => {}): string {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(smallScenarioJson(edit)));
  return file;
}

/** JSON output without the fields that measure this machine rather than the run. */
function numbers(out: string) {
  return JSON.parse(out, (k, v) => (k === 'wallMs' ? undefined : v));
}

const test = suite('cli');

test('a bad scenario file exits 2, names every bad field, and runs nothing', () => {
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{ "durationMs": 100, ');
  let r = run('simulate', notJson);
  assert.is(r.code, 2);
  assert.match(r.err, /is not JSON/);
  r = run(
    'compare',
    scenarioFile((s) => {
      s.connections.count = -5;
      s.colour = 'blue';
      s.policy = { lowActivity: 'often', mediaDisconnectGraceMs: -1, honorAdvisory: ['HardwareFailure'] };
      s.events.push({ atMs: 10, type: 'explode' });
    }),
  );
  assert.is(r.code, 2, r.err);
  for (const m of [
    /connections\.count: must be an integer 0\.\.100000000, got -5/,
    /scenario\.colour: unknown field/,
    /policy\.lowActivity: must be/,
    /policy\.mediaDisconnectGraceMs: .*got -1/,
    /policy\.honorAdvisory\[0\]: HardwareFailure is always honoured/,
    /events\[3\]\.type: must be one of/,
  ])
    assert.match(r.err, m);
  assert.match(r.err, /6 problems/);
  assert.match(r.err, /Nothing was run/);
  assert.not.match(r.err, /\n\s+at /, 'no stack trace');
  assert.is(r.out, '', 'nothing half-ran');
  assert.is(run('simulate', join(dir, 'missing.json')).code, 2);
  assert.is(run('frobnicate').code, 2);
  assert.is(run().code, 2);
});

test('every bad argument is named at once, exit 2, before anything runs', () => {
  const r = run(
    'compare',
    scenarioFile(),
    '--workers',
    '0',
    '--shard',
    '5/3',
    '--capacities',
    '10,x',
    '--bogus',
    '--seed',
    '-1',
    '--policies',
    'eager,nonesuch',
  );
  assert.is(r.code, 2);
  for (const m of [
    /--workers: needs an integer 1\.\.256, got '0'/,
    /--shard: needs I\/N with 1 <= I <= N/,
    /--capacities: needs integers .*'x'/,
    /unknown option '--bogus'/,
    /--seed: needs an integer/,
    /unknown policy 'nonesuch': the built-in ones are eager, threshold, rebalance/,
  ])
    assert.match(r.err, m);
  assert.is(r.out, '');
  const json = run('simulate', scenarioFile(), '--report', '--json');
  assert.is(json.code, 2);
  assert.match(json.err, /--report needs FILE \(got the option --json\)/);
  const unwritable = run('compare', scenarioFile(), '--report', join(dir, 'no-such-dir', 'r.html'));
  assert.is(unwritable.code, 2);
  assert.match(unwritable.err, /--report: cannot write .*its directory does not exist/);
});

test("bad policy options are named from the policy's own schema; a day at 1 ms ticks is refused up front", () => {
  let r = run(
    'compare',
    scenarioFile((s) => (s.compare.policies = [{ policy: 'threshold', options: { bytes: -1, colour: 1 } }, 'eager'])),
  );
  assert.is(r.code, 2);
  assert.match(r.err, /compare\.policies\[0\]\.options\.bytes: must be an integer at least 0, got number -1/);
  assert.match(r.err, /compare\.policies\[0\]\.options\.colour: not an option/);
  const t0 = performance.now();
  r = run(
    'simulate',
    scenarioFile((s) => ((s.durationMs = 86_400_000), (s.tickMs = 1))),
  );
  assert.is(r.code, 2);
  assert.match(r.err, /one run would take about [\d,]+ minutes here .*Raise tickMs, shorten durationMs/);
  assert.ok(performance.now() - t0 < 20_000, 'refused before running');
});

test('simulate: bytes conserved, under the oracle, the same numbers for the same seed', () => {
  const file = scenarioFile();
  const a = run('simulate', file, '--json', '--policy', 'threshold');
  assert.is(a.code, 0, a.err);
  const r = numbers(a.out);
  assert.is(r.offloadedBytes + r.softwareBytes, r.totalBytes);
  assert.ok(r.conserved && r.nothingLost && r.check === 'ok');
  assert.ok(r.offloadedBytes > 0 && r.oracleRatio > 0 && r.oracleRatio <= 1, `oracle ratio ${r.oracleRatio}`);
  assert.ok(r.offloadedBytes <= r.oracle.offloadedBytes);
  assert.equal(numbers(run('simulate', file, '--json', '--policy', 'threshold').out), r);
  assert.is.not(
    numbers(run('simulate', file, '--json', '--policy', 'threshold', '--seed', '4').out).totalBytes,
    r.totalBytes,
    'another seed, another workload',
  );
  const text = run('simulate', file);
  assert.match(text.out, /policy eager at capacity 150/);
  assert.match(text.out, /nothing lost: ok for all/);
  assert.not.match(text.out, /\r/, 'no progress line when the output is not a terminal');
});

test('compare: the fixed JSON shape; the oracle bounds every policy at every capacity, rises with capacity, reaches 1.0', () => {
  const file = scenarioFile((s) => (s.compare.capacities = [10, 40, 150, 100_000]));
  const r = run('compare', file, '--json', '--workers', '2');
  assert.is(r.code, 0, r.err);
  const out = numbers(r.out);
  assert.equal(Object.keys(out).slice(0, 6), ['scenario', 'seed', 'connections', 'totalBytes', 'results', 'oracle']);
  assert.is(out.results.length, 12);
  for (const x of out.results) {
    for (const k of [
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
    ])
      assert.ok(k in x, k);
    const oracle = out.oracle.find((o: { capacity: number }) => o.capacity === x.capacity);
    assert.ok(x.offloadedBytes <= oracle.offloadedBytes, `${x.policy}@${x.capacity} above the oracle`);
    assert.is(x.offloadedBytes + x.softwareBytes, out.totalBytes, `${x.policy}@${x.capacity}: bytes conserved`);
    assert.is(x.check, 'ok');
    assert.is(x.nothingLost, true);
  }
  const ratios = out.oracle.map((o: { offloadRatio: number }) => o.offloadRatio);
  assert.equal(
    [...ratios].sort((a, b) => a - b),
    ratios,
    'never falls as capacity grows',
  );
  assert.ok(out.peakAlive < 100_000);
  assert.is(ratios.at(-1), 1);
});

test('same seed, same numbers with 1, 2 or 3 workers, and with 3 shards merged', () => {
  const file = scenarioFile((s) => (s.compare.capacities = [20, 80]));
  const one = run('compare', file, '--json', '--workers', '1');
  assert.is(one.code, 0, one.err);
  for (const w of ['2', '3']) assert.equal(numbers(run('compare', file, '--json', '--workers', w).out), numbers(one.out), `${w} workers`);
  const shards = ['1/3', '2/3', '3/3'].map((s, i) => {
    const f = join(dir, `shard${i}.json`);
    const r = run('compare', file, '--json', '--shard', s);
    assert.is(r.code, 0, r.err);
    writeFileSync(f, r.out);
    return f;
  });
  const merged = run('merge', ...shards, '--json');
  assert.is(merged.code, 0, merged.err);
  assert.equal(numbers(merged.out), numbers(one.out));
  const missing = run('merge', shards[0]!, shards[2]!);
  assert.is(missing.code, 2);
  assert.match(missing.err, /missing: run shard 2 of 3/);
});

test("a user's policy module runs from the command line", () => {
  const r = run(
    'compare',
    scenarioFile((s) => (s.compare.capacities = [50])),
    '--policies',
    'eager,./examples/my-policy.mjs',
    '--json',
    '--workers',
    '2',
  );
  assert.is(r.code, 0, r.err);
  const out = numbers(r.out);
  assert.equal(
    out.results.map((x: { policy: string }) => x.policy),
    ['eager', './examples/my-policy.mjs'],
  );
  const mine = out.results[1];
  assert.ok(mine.initiates > 0 && mine.offloadedBytes > 0 && mine.check === 'ok' && mine.nothingLost);
  const bad = run('simulate', scenarioFile(), '--policy', './examples/no-such-policy.mjs');
  assert.is(bad.code, 2);
  assert.match(bad.err, /policy '\.\/examples\/no-such-policy\.mjs'/);
});

test('--trace replays a recorded capture under every policy: conserved and under the oracle', () => {
  const capture = join(dir, 'small.pcap');
  writeSyntheticCapture(capture, { connections: 300, concurrency: 40, cdf: hadoop, seed: 5 }, { format: 'pcap' });
  const r = run('compare', scenarioFile(), '--trace', capture, '--capacities', '5,20,1000', '--json', '--workers', '2');
  assert.is(r.code, 0, r.err);
  const out = numbers(r.out);
  assert.is(out.scenario, 'trace small.pcap');
  assert.is(out.connections, 300);
  for (const x of out.results) {
    assert.is(x.offloadedBytes + x.softwareBytes, out.totalBytes);
    assert.ok(x.offloadedBytes <= out.oracle.find((o: { capacity: number }) => o.capacity === x.capacity).offloadedBytes);
  }
  const notATrace = join(dir, 'notes.txt');
  writeFileSync(notATrace, 'hello, this is not a capture\n');
  const bad = run('simulate', scenarioFile(), '--trace', notATrace);
  assert.is(bad.code, 2);
  assert.match(bad.err, /--trace: .*not a pcap, pcapng or Zeek conn\.log/);
});

test('--report writes self-contained HTML: compare with the oracle curve and timelines, simulate with four charts', () => {
  const report = join(dir, 'compare.html');
  const r = run(
    'compare',
    scenarioFile((s) => (s.compare.capacities = [20, 80])),
    '--report',
    report,
  );
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /capacity\s+policy\s+offloaded\s+of oracle/);
  const html = readFileSync(report, 'utf8');
  assert.is((html.match(/<svg /g) ?? []).length, 3 + 2 * 3);
  assert.not.match(html, /<script|<link|src=|url\(/, 'no external resources');
  const one = join(dir, 'simulate.html');
  assert.is(run('simulate', scenarioFile(), '--report', one).code, 0);
  assert.is((readFileSync(one, 'utf8').match(/<svg /g) ?? []).length, 4);
});

test('the default scenario shows every connection termination reason the host has', () => {
  const r = run('simulate', '--json');
  assert.is(r.code, 0, r.err);
  const result = JSON.parse(r.out);
  assert.ok(result.connections >= 100_000);
  for (const reason of ['Application', 'HigherPriority', 'TargetRequested', 'LowActivity', 'MediaDisconnect', 'Pause', 'PowerTransition', 'Invalidated'])
    assert.ok(result.terminationsByReason[reason] > 0, `no ${reason} termination`);
  assert.ok(result.terminationsByKind.Path > 0 && result.terminationsByKind.Neighbor > 0, 'paths and neighbors pruned (Orphaned)');
  assert.ok(result.nothingLost && result.conserved);
  assert.is(result.check, 'ok');
});

test.run();
