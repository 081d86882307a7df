// The command line: `chimney-host simulate` on small scenarios. Bad scenario files are refused with
// exit code 2 and a message naming the field, before anything runs; the same seed gives the same
// result; a run prints the summary (or JSON) and writes a self-contained HTML report.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScenario, ScenarioError } from '../src/sim/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-cli-'));
const cli = new URL('../dist/cli.js', import.meta.url).pathname;

/** Runs the built CLI (as a user would after npm install) and returns its exit code and output. */
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A small valid scenario, changed by `edit`, written to a file. */
function scenarioFile(edit: (s: Record<string, any>) => void = () => {}): string {
  const s: Record<string, any> = {
    name: 'small', seed: 3, durationMs: 20000, tickMs: 100,
    interfaces: [{ ifIndex: 1, neighbors: 2, pathsPerNeighbor: 20 }, { ifIndex: 2, neighbors: 2, pathsPerNeighbor: 20 }],
    connections: { count: 600, flowSizes: 'hadoop', priorities: { 0: 3, 4: 1 } },
    target: { capacity: 150, latencyMs: { min: 1, max: 20 }, faults: { initiateFailure: 0.01, uploadRequests: 0.1 } },
    policy: { lowActivity: { thresholdBytesPerSecond: 4096, windowMs: 1000, quietMs: 1000 } },
    events: [{ atMs: 5000, type: 'linkDown', ifIndex: 2 }, { atMs: 6000, type: 'linkUp', ifIndex: 2 }, { atMs: 8000, type: 'burst', count: 50, priority: 9 }],
  };
  edit(s);
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}

const test = suite('cli');

test('a bad scenario file exits 2, names the field, and runs nothing', () => {
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{ "durationMs": 100, ');
  let r = run('simulate', notJson);
  assert.is(r.code, 2);
  assert.match(r.err, /is not JSON/);
  const cases: [(s: Record<string, any>) => void, RegExp][] = [
    [(s) => (s.connections.count = -5), /connections\.count: must be an integer 0\.\.100000000, got -5/],
    [(s) => (s.durationMs = '60s'), /durationMs: must be an integer .*got "60s"/],
    [(s) => (s.colour = 'blue'), /scenario\.colour: unknown field/],
    [(s) => s.events.push({ atMs: 10, type: 'linkDown', ifIndex: 7 }), /events\[3\]\.ifIndex: interface 7 is not in "interfaces"/],
    [(s) => s.events.push({ atMs: 10, type: 'explode' }), /events\[3\]\.type: must be one of/],
    [(s) => (s.target.faults.initiateFailure = 3), /target\.faults\.initiateFailure: must be a number 0\.\.1, got 3/],
    [(s) => (s.connections.flowSizes = 'bimodal'), /connections\.flowSizes/],
  ];
  for (const [edit, message] of cases) {
    r = run('simulate', scenarioFile(edit));
    assert.is(r.code, 2, r.err);
    assert.match(r.err, message);
    assert.match(r.err, /Nothing was run/);
    assert.is(r.out, '', 'nothing half-ran');
  }
  assert.is(run('simulate', join(dir, 'missing.json')).code, 2);
  assert.is(run('simulate', '--seed', 'x').code, 2);
  assert.is(run('simulate', '--bogus').code, 2);
  assert.is(run('frobnicate').code, 2);
});

test('every problem is listed at once', () => {
  try {
    readScenario({ durationMs: -1, interfaces: [], connections: {}, target: {} });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ScenarioError);
    const problems = (e as ScenarioError).problems.join('\n');
    for (const f of ['durationMs', 'interfaces', 'connections.count', 'target.capacity']) assert.ok(problems.includes(f), `${f} in ${problems}`);
  }
});

test('a run prints a summary with the checks, and the same seed gives the same result', () => {
  const file = scenarioFile();
  const a = run('simulate', file, '--json');
  assert.is(a.code, 0, a.err);
  const b = run('simulate', file, '--json');
  const strip = (out: string) => {
    const j = JSON.parse(out);
    delete j.wallMs;
    delete j.core;
    return j;
  };
  assert.equal(strip(a.out), strip(b.out));
  const result = JSON.parse(a.out);
  assert.is(result.check, 'ok');
  assert.equal(result.nothingLost.failures, []);
  assert.ok(result.nothingLost.checked > 100);
  assert.ok(result.terminations.byReason.MediaDisconnect > 0 && result.terminations.byReason.HigherPriority > 0);
  const c = run('simulate', file, '--seed', '4', '--json');
  assert.is.not(JSON.stringify(strip(c.out)), JSON.stringify(strip(a.out)), 'another seed, another run');
  const text = run('simulate', file);
  assert.match(text.out, /terminations by reason:/);
  assert.match(text.out, /nothing lost: ok for all/);
  assert.not.match(text.out, /\r/, 'no progress line when the output is not a terminal');
});

test('the default scenario (npm start) offloads 100,000+ connections and shows every termination reason', () => {
  const r = run('simulate', '--json');
  assert.is(r.code, 0, r.err);
  const result = JSON.parse(r.out);
  assert.ok(result.requested >= 100_000);
  for (const [reason, count] of Object.entries(result.terminations.byReason)) assert.ok((count as number) > 0, `no ${reason} termination`);
  assert.is(Object.keys(result.terminations.byReason).length, 9);
  assert.equal(result.nothingLost.failures, []);
  assert.ok(result.nothingLost.checked > 50_000);
  assert.is(result.check, 'ok');
});

test('--report writes one self-contained HTML file with four inline SVG charts', () => {
  const report = join(dir, 'report.html');
  const r = run('simulate', scenarioFile(), '--report', report);
  assert.is(r.code, 0, r.err);
  const html = readFileSync(report, 'utf8');
  assert.is((html.match(/<svg /g) ?? []).length, 4);
  for (const title of ['Offloaded objects over time', 'Terminations over time', 'Capacity use', 'Termination latency']) assert.ok(html.includes(title), title);
  assert.not.match(html, /<script|<link|src=|url\(/, 'no external resources');
});

test.run();
