// The workload generated on a worker thread and streamed to runLab gives the very run the main
// thread gives when it generates the workload itself (every RunResult field but wall time, the
// oracle's figures included) for a scenario, a million-like scenario at small scale and a trace,
// at any chunk size and look-ahead; when the worker fails to start or dies at tick k (thrown,
// uncaught, exited), the run still completes with the same figures and one note; a damaged trace
// is still a TraceError; the worker never runs more than its look-ahead in front of the reader.
//
// The worker is the built one (dist/cli/feed-worker.js: a worker thread cannot load TypeScript
// here), so run `npm run build` first, as for the CLI's tests.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eager } from '../../src/host/policies/index.js';
import type { RunResult } from '../../src/sim/metrics.js';
import { oracleRatio } from '../../src/sim/metrics.js';
import { runLab, type RunSetup } from '../../src/sim/run.js';
import { openSource, type SourceSpec } from '../../src/cli/sources.js';
import { StreamedWorkload, type StreamOptions } from '../../src/cli/streamed-source.js';
import { isTraceError } from '../../src/trace/errors.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';
import { hadoop, smallMillionScenario, smallScenario, websearch } from '../sim/helpers.js';

const test = suite('streamed-source');
const worker = new URL('../../dist/cli/feed-worker.js', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'chimney-stream-'));

const small = smallScenario();
const scenarioCase = { spec: { kind: 'scenario', scenario: small, cdf: hadoop } as SourceSpec, setup: small as RunSetup };
const million = smallMillionScenario();
const millionCase = { spec: { kind: 'scenario', scenario: million, cdf: websearch } as SourceSpec, setup: million as RunSetup };
const capture = join(dir, 'stream.pcapng');
writeSyntheticCapture(capture, { connections: 300, concurrency: 40, cdf: hadoop, seed: 9, packetGapMs: 0.5 }, { format: 'pcapng' });
const traceCase = { spec: { kind: 'trace', file: capture, tickMs: 10 } as SourceSpec, setup: { ...small, events: [] } as RunSetup };

/** A run with the workload and the oracle on this thread, as simulate does on a busy machine. */
async function here(c: typeof scenarioCase): Promise<RunResult> {
  return runLab({ source: await openSource(c.spec), setup: c.setup, policy: eager.create(), oracle: true });
}

/** The same run fed by the worker, the oracle's figures from the worker (as simulate does). */
async function streamed(c: typeof scenarioCase, o: Partial<StreamOptions> = {}): Promise<{ result: RunResult; notes: string[]; source: StreamedWorkload }> {
  const notes: string[] = [];
  const source = await StreamedWorkload.open(c.spec, { capacity: c.setup.target.capacity, worker, note: (m) => notes.push(m), ...o });
  const result = await runLab({ source, setup: c.setup, policy: eager.create() });
  const oracle = source.oracle();
  result.oracle = { offloadedBytes: oracle.offloadedBytes, offloadRatio: oracle.offloadRatio, churnPerSecond: oracle.churnPerSecond };
  result.oracleRatio = oracleRatio(result.offloadedBytes, oracle.offloadedBytes);
  return { result, notes, source };
}

/** A result without its wall times, as JSON (key order included). */
const figures = (r: RunResult) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'wallMs' ? undefined : v)));

const expected = new Map<unknown, unknown>();
async function want(c: typeof scenarioCase) {
  if (!expected.has(c)) expected.set(c, figures(await here(c)));
  return expected.get(c);
}

test('a scenario, a small million.json and a trace: the same RunResult streamed as generated here', async () => {
  for (const [name, c] of [
    ['scenario', scenarioCase],
    ['million', millionCase],
    ['trace', traceCase],
  ] as const) {
    const { result, notes, source } = await streamed(c);
    assert.equal(notes, [], name);
    assert.ok(result.connections > 0 && result.offloadedBytes > 0 && result.oracle!.offloadedBytes >= result.offloadedBytes, name);
    assert.equal(figures(result), await want(c), name);
    assert.is(source.streaming, false);
  }
});

test('any chunk size and look-ahead: the same RunResult', async () => {
  for (const [chunkTicks, aheadTicks] of [
    [1, 1],
    [3, 5],
    [16, 64],
    [1000, 1000],
  ]) {
    const { result, notes } = await streamed(scenarioCase, { chunkTicks, aheadTicks });
    assert.equal(notes, []);
    assert.equal(figures(result), await want(scenarioCase), `chunk ${chunkTicks}, ahead ${aheadTicks}`);
  }
  const trace = await streamed(traceCase, { chunkTicks: 2, aheadTicks: 3 });
  assert.equal(figures(trace.result), await want(traceCase));
});

test('the worker dies at tick k (thrown, uncaught, exited): same RunResult, one note saying so', async () => {
  for (const how of ['throw', 'crash', 'exit'] as const) {
    for (const tick of [0, 1, 37, 199]) {
      const { result, notes } = await streamed(scenarioCase, { failAt: { tick, how }, chunkTicks: 4, aheadTicks: 8 });
      assert.equal(figures(result), await want(scenarioCase), `${how} at ${tick}`);
      assert.is(notes.length, 1, `${how} at ${tick}: ${notes}`);
      assert.match(notes[0]!, /the workload's worker thread failed at tick \d+ .*this thread reads the workload again from tick 0/);
      assert.ok(!notes[0]!.includes('\n'));
      if (how === 'exit') assert.match(notes[0]!, /exit code 7/);
      else assert.match(notes[0]!, /failing on purpose/);
    }
  }
  const trace = await streamed(traceCase, { failAt: { tick: 5, how: 'exit' }, chunkTicks: 2 });
  assert.equal(figures(trace.result), await want(traceCase));
  assert.is(trace.notes.length, 1);
});

test('a worker that cannot start: the workload runs here from tick 0, one note, same RunResult', async () => {
  const { result, notes } = await streamed(millionCase, { worker: new URL('./no-such-worker.js', worker) });
  assert.equal(figures(result), await want(millionCase));
  assert.is(notes.length, 1);
  assert.match(notes[0]!, /worker thread failed to start \(.*\); this thread generates the workload/);
});

test('a trace damaged past its start is the input error it is on this thread, not a fallback', async () => {
  const bytes = readFileSync(capture);
  let p = 0;
  for (let i = 0; i < 2000; i++) p += bytes.readUInt32LE(p + 4);
  bytes.writeUInt32LE(0x7ffffff0, p + 4);
  const bad = join(dir, 'damaged.pcapng');
  writeFileSync(bad, bytes);
  const c = { spec: { kind: 'trace', file: bad, tickMs: 10 } as SourceSpec, setup: traceCase.setup };
  const thrown = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      return e as Error;
    }
    assert.unreachable('expected a TraceError');
  };
  const inThread = await thrown(() => here(c));
  const notes: string[] = [];
  const e = await thrown(() => streamed(c, { note: (m) => notes.push(m) }));
  assert.ok(isTraceError(e));
  assert.is(e!.message, inThread!.message);
  assert.is((e as { code?: string }).code, (inThread as { code?: string }).code);
  assert.equal(notes, []);
});

test('the worker stays within its look-ahead of a slow reader, and stops when the reader closes early', async () => {
  const source = await StreamedWorkload.open(millionCase.spec, { capacity: 400, worker, note: () => {}, chunkTicks: 4, aheadTicks: 12 });
  const batch = (await import('../../src/sim/tick-batch.js')).createTickBatch();
  let most = 0;
  for (let tick = 0; tick < 40; tick++) {
    await new Promise((r) => setTimeout(r, tick < 3 ? 100 : 2));
    most = Math.max(most, source.buffered);
    await source.next(tick, batch);
  }
  assert.ok(most >= 4, `the worker ran ahead (${most} ticks buffered at most)`);
  assert.ok(most <= 12, `at most 12 ticks buffered, got ${most}`);
  await source.close();
  assert.is(source.streaming, false);
  assert.throws(() => source.oracle(), /not been read to its end/);
});

test.run();
