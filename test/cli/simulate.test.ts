// simulate puts the workload and the oracle on a worker thread with --workers 2 (the default on a
// machine of two cores or more), and the simulated target on another when it can have one with
// the same figures, and keeps everything on its own thread with --workers 1, and prints the same
// JSON either way: the built CLI runs small scenarios (one whose target injects upload faults,
// which keep it on the main thread) and a trace in each mode. The stream itself (chunks, fallback,
// damaged traces) is tested in streamed-source.test.ts, the target's thread in target-thread.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hadoop, smallScenarioJson } from '../sim/helpers.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';

const test = suite('simulate');
const dir = mkdtempSync(join(tmpdir(), 'chimney-simulate-'));
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

function simulate(workers: number, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'simulate', ...args, '--workers', String(workers), '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  return JSON.parse(r.stdout, (k, v) => (k === 'wallMs' ? undefined : v));
}

const scenario = join(dir, 'small.json');
writeFileSync(scenario, JSON.stringify(smallScenarioJson()));
const threadable = join(dir, 'small-threadable.json');
writeFileSync(threadable, JSON.stringify(smallScenarioJson((s) => (s.target.faults = { initiateFailure: 0.01 }))));
const capture = join(dir, 'small.pcapng');
writeSyntheticCapture(capture, { connections: 200, concurrency: 30, cdf: hadoop, seed: 5, packetGapMs: 0.5 }, { format: 'pcapng' });

test('--workers 2 (workload and oracle on a worker) or 1 (all here): the same JSON, scenario and trace', () => {
  for (const args of [[scenario], [threadable], [threadable, '--policy', 'threshold', '--capacity', '40'], ['--trace', capture, threadable]]) {
    const apart = simulate(2, ...args);
    const here = simulate(1, ...args);
    assert.equal(apart, here, args.join(' '));
    assert.ok(apart.connections > 0 && apart.oracle.offloadedBytes > 0, args.join(' '));
  }
});

test('--workers must be a whole number of at least 1: exit 2 before anything runs', () => {
  const r = spawnSync(process.execPath, [cli, 'simulate', scenario, '--workers', '0'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /--workers/);
});

test.run();
