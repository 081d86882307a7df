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
import { TraceError } from '../../src/trace/errors.js';

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
  for (const bad of [{ tickMs: 0 }, { tickMs: Number.NaN }, { idleTimeoutMs: -1 }, { lingerMs: Infinity }, { tickMs: '100' }]) {
    try {
      await openTraceWorkload(file, bad as never);
      assert.unreachable(JSON.stringify(bad));
    } catch (error) {
      assert.instance(error, TraceError);
      assert.is((error as TraceError).code, 'BadOption');
      assert.match((error as Error).message, /^openTraceWorkload: \w+ must be a number of milliseconds above 0/);
    }
  }
  // A misspelt option is refused, never ignored; every problem is named in one message.
  try {
    await openTraceWorkload(file, { tickMS: 10, lingerMs: 0 } as never);
    assert.unreachable('tickMS');
  } catch (error) {
    assert.is((error as TraceError).code, 'BadOption');
    assert.match((error as Error).message, /tickMS is not an option \(the options are tickMs, idleTimeoutMs, lingerMs\); lingerMs must be/);
  }
  for (const notObject of [null, 5]) {
    try {
      await openTraceWorkload(file, notObject as never);
      assert.unreachable(String(notObject));
    } catch (error) {
      assert.match((error as Error).message, /options must be an object/);
    }
  }
  // undefined means the default, as an omitted key does.
  (await openTraceWorkload(file, { tickMs: undefined })).close();
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
