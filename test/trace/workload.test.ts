// openTraceWorkload as a package user calls it: by name from the built package, options checked,
// ticks in order, and what it tells a progress line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTickBatch } from '../../src/trace/batch.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';
import { openTraceWorkload } from '../../src/trace/workload.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-workload-'));
const file = join(dir, 'w.pcap');
const packets = writeSyntheticCapture(
  file,
  {
    connections: 50,
    concurrency: 5,
    cdf: [
      [0, 0],
      [5000, 100],
    ],
    seed: 2,
    packetGapMs: 1,
  },
  { format: 'pcap' },
);

const test = suite('trace: workload source');

test("'chimney-host/trace' imports by name from the built package and replays a capture", () => {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    import { openTraceWorkload, createTickBatch } from 'chimney-host/trace';
    const w = await openTraceWorkload(${JSON.stringify(file)}, { tickMs: 50 });
    const b = createTickBatch();
    let opened = 0, closed = 0, ticks = 0;
    for (let t = 0; ; t++) { const more = await w.next(t, b); opened += b.opened.count; closed += b.closed.count; ticks++; if (!more) break; }
    console.log(JSON.stringify([w.format, w.stats.packets, opened, closed, ticks === w.ticks]));
  `,
    ],
    { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname },
  );
  assert.equal(JSON.parse(out), ['pcap', packets, 50, 50, true]);
});

test('options are checked; ticks come in order; the tick estimate and progress', async () => {
  for (const bad of [{ tickMs: 0 }, { tickMs: Number.NaN }, { idleTimeoutMs: -1 }, { lingerMs: Infinity }]) {
    try {
      await openTraceWorkload(file, bad);
      assert.unreachable(JSON.stringify(bad));
    } catch (error) {
      assert.instance(error, RangeError);
      assert.match((error as Error).message, /must be a number of milliseconds above 0/);
    }
  }
  const w = await openTraceWorkload(file, { tickMs: 10 });
  const b = createTickBatch();
  assert.is(await w.next(0, b), true);
  try {
    await w.next(5, b);
    assert.unreachable('skipped ticks');
  } catch (error) {
    assert.match((error as Error).message, /expected tick 1, got 5/);
  }
  assert.ok(w.ticks >= 2);
  const p = w.progress();
  assert.ok(p.size > 0 && p.read <= p.size);
  w.close();
});

test.run();
