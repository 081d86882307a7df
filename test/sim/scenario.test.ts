// The scenario reader: defaults filled in, and every bad field named at once (issue 8 item 11:
// the host's knobs included), so a user fixes a file in one go.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { readScenario, ScenarioError, defaultCapacities } from '../../src/sim/scenario.js';
import { parseCdf } from '../../src/sim/cdf.js';
import { UploadReason } from '../../src/table/enums.js';
import { smallScenarioJson } from './helpers.js';

const test = suite('sim/scenario');

function problems(edit: (s: Record<string, any>) => void): string[] {
  try {
    readScenario(smallScenarioJson(edit));
  } catch (e) {
    assert.instance(e, ScenarioError);
    return (e as ScenarioError).problems;
  }
  assert.unreachable('the scenario was accepted');
  return [];
}

test('the shipped scenarios are valid, and their CDFs parse', () => {
  const dir = new URL('../../scenarios/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.equal(files.sort(), ['default.json', 'hadoop.json', 'long-lived.json', 'million.json']);
  for (const f of files) readScenario(JSON.parse(readFileSync(new URL(f, dir), 'utf8')));
  for (const f of ['websearch.cdf', 'hadoop.cdf']) assert.ok(parseCdf(readFileSync(new URL(f, dir), 'utf8')).length > 5);
  const million = readScenario(JSON.parse(readFileSync(new URL('million.json', dir), 'utf8')));
  assert.is(million.connections.count, 1_000_000);
  assert.is(million.target.capacity, 20_000);
  assert.is(million.durationMs, 60_000);
  assert.is(million.tickMs, 100);
  assert.is(million.connections.flowSizes, 'websearch');
});

test('defaults: one transfer, exponential gaps, 64 KiB waste threshold, three policies, five capacities', () => {
  const s = readScenario({
    durationMs: 1000,
    interfaces: [{ ifIndex: 1, neighbors: 1, pathsPerNeighbor: 1 }],
    connections: { count: 1 },
    target: { capacity: 400 },
  });
  assert.equal(s.connections.transfers, { min: 1, max: 1 });
  assert.equal(s.connections.idleGapMs, { distribution: 'exponential', meanMs: 1000 });
  assert.is(s.wasteThresholdBytes, 65536);
  assert.equal(
    s.compare.policies.map((p) => p.policy),
    ['eager', 'threshold', 'rebalance'],
  );
  assert.equal(s.compare.capacities, [100, 200, 400, 800, 1600]);
  assert.equal(defaultCapacities(1), [0, 1, 2, 4]);
});

test("bad host knobs are all named (lowActivity 'often', negative grace, a must-honour reason)", () => {
  const p = problems((s) => (s.policy = { lowActivity: 'often', mediaDisconnectGraceMs: -1, honorAdvisory: ['HardwareFailure', 'Bogus'], preempt: 'yes' }));
  const text = p.join('\n');
  assert.match(text, /policy\.lowActivity: must be \{ thresholdBytesPerSecond, windowMs, quietMs \} or false/);
  assert.match(text, /policy\.mediaDisconnectGraceMs: must be an integer 0\.\.2147483648, got -1/);
  assert.match(text, /policy\.honorAdvisory\[0\]: HardwareFailure is always honoured/);
  assert.match(text, /policy\.honorAdvisory\[1\]: must be an advisory UploadReason name/);
  assert.match(text, /policy\.preempt: must be true or false/);
  assert.is(p.length, 5);
  const ok = readScenario(smallScenarioJson((s) => (s.policy = { lowActivity: false, honorAdvisory: ['LowActivity'], preempt: false })));
  assert.equal(ok.policy, { lowActivity: false, honorAdvisory: [UploadReason.LowActivity], preempt: false });
});

test('bad workload, target, compare and event fields are all named in one error', () => {
  const text = problems((s) => {
    s.durationMs = '60s';
    s.connections.transfers = { min: 0, max: 2 };
    s.connections.idleGapMs = { distribution: 'pareto', minMs: 10, alpha: 0 };
    s.connections.sentShare = 2;
    s.connections.flowSizes = {
      cdf: [
        [10, 50],
        [5, 100],
      ],
    };
    s.target.faults.initiateFailure = 3;
    s.compare = { policies: [''], capacities: [-1] };
    s.events.push(
      { atMs: 10, type: 'linkDown', ifIndex: 7 },
      { atMs: 10, type: 'explode' },
      { atMs: 1, type: 'uploadRequests', count: 0, reason: 'Nope' },
      { atMs: 1, type: 'burst', count: 5, priority: 300, colour: 1 },
    );
    s.colour = 'blue';
  }).join('\n');
  for (const field of [
    /durationMs: must be an integer .*got "60s"/,
    /connections\.transfers\.min: must be an integer 1\.\./,
    /connections\.idleGapMs\.alpha: must be a number 0\.1\.\.100, got 0/,
    /connections\.sentShare: must be a number 0\.\.1, got 2/,
    /connections\.flowSizes\.cdf: sizes and percents must not decrease/,
    /target\.faults\.initiateFailure: must be a number 0\.\.1, got 3/,
    /compare\.policies\[0\]/,
    /compare\.capacities\[0\]: must be an integer 0\.\./,
    /events\[3\]\.ifIndex: interface 7 is not in "interfaces"/,
    /events\[4\]\.type: must be one of burst, close, linkDown/,
    /events\[5\]\.count: must be an integer 1\.\./,
    /events\[5\]\.reason: must be an UploadReason name/,
    /events\[6\]\.priority: must be an integer 0\.\.255, got 300/,
    /events\[6\]\.colour: unknown field/,
    /scenario\.colour: unknown field/,
  ])
    assert.match(text, field);
});

test("a built-in policy's bad options are named in the same pass as every other field", () => {
  const p = problems((s) => {
    s.seed = -1;
    s.compare = { policies: [{ policy: 'threshold', options: { bytes: -1, colour: 1 } }, { policy: 'rebalance', options: 5 }, './mine.mjs'] };
  });
  assert.equal(p, [
    'seed: must be an integer 0..4294967295, got -1',
    'compare.policies[0].options.colour: not an option (known: bytes, preempt)',
    'compare.policies[0].options.bytes: must be an integer at least 0, got number -1',
    'compare.policies[1].options: must be an object, got 5',
  ]);
});

test('a bad duration is one problem, not one for every field bounded by it', () => {
  const p = problems((s) => {
    s.durationMs = -1;
    s.events.push({ atMs: 500, type: 'linkDown', ifIndex: 1 });
  });
  assert.equal(p, ['durationMs: must be an integer 1..31536000000, got -1']);
});

test('a topology of 100,000 x 100,000 paths is not built up front (only its size is checked)', () => {
  const t0 = performance.now();
  const s = readScenario(smallScenarioJson((j) => ((j.interfaces = [{ ifIndex: 1, neighbors: 65536, pathsPerNeighbor: 100_000 }]), (j.events = []))));
  assert.ok(performance.now() - t0 < 1000);
  assert.is(s.interfaces[0]!.neighbors * s.interfaces[0]!.pathsPerNeighbor, 6_553_600_000);
  assert.match(
    problems((j) => (j.interfaces = [{ ifIndex: 1, neighbors: 100_000, pathsPerNeighbor: 100_000 }])).join(),
    /interfaces\[0\]\.neighbors: must be an integer 1\.\.65536/,
  );
});

test('CDF files: a bad line is named', () => {
  assert.throws(() => parseCdf('0 0\n100 fifty\n'), /line 2 is not "<bytes> <percent>"/);
  assert.throws(() => parseCdf('0 0\n100 90\n'), /last percent must be 100/);
  assert.throws(() => parseCdf('5 0'), /at least two points/);
});

test.run();
