// simulate puts the workload and the oracle on a worker thread only when the machine has a core to
// spare (its load average says so), and prints the same JSON either way: here the load average is
// faked both ways (a preload replaces os.loadavg) and the built CLI runs a small scenario and a
// trace in each mode. The stream itself (chunks, fallback, damaged traces) is tested in
// streamed-source.test.ts.
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

/** A preload that makes os.loadavg() say `load`. */
function loadIs(load: number): string {
  const file = join(dir, `load-${load}.mjs`);
  writeFileSync(
    file,
    `import os from 'node:os';\nimport { syncBuiltinESMExports } from 'node:module';\nos.loadavg = () => [${load}, ${load}, ${load}];\nsyncBuiltinESMExports();\n`,
  );
  return file;
}
const idle = loadIs(0);
const busy = loadIs(1000);

function simulate(preload: string, ...args: string[]) {
  // The worker thread inherits the preload too; it does not care.
  const r = spawnSync(process.execPath, ['--import', preload, cli, 'simulate', ...args, '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  return JSON.parse(r.stdout, (k, v) => (k === 'wallMs' ? undefined : v));
}

const scenario = join(dir, 'small.json');
writeFileSync(scenario, JSON.stringify(smallScenarioJson()));
const capture = join(dir, 'small.pcapng');
writeSyntheticCapture(capture, { connections: 200, concurrency: 30, cdf: hadoop, seed: 5, packetGapMs: 0.5 }, { format: 'pcapng' });

test('idle machine (workload and oracle on a worker) or busy (all here): the same JSON, scenario and trace', () => {
  for (const args of [[scenario], [scenario, '--policy', 'threshold', '--capacity', '40'], ['--trace', capture, scenario]]) {
    const apart = simulate(idle, ...args);
    const here = simulate(busy, ...args);
    assert.equal(apart, here, args.join(' '));
    assert.ok(apart.connections > 0 && apart.oracle.offloadedBytes > 0, args.join(' '));
  }
});

test.run();
