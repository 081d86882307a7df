// The events registry: one entry per event gives its type, its validation and its dispatch. Every
// event reads back from a file as written, goes to exactly one side (workload or host), and does
// what its entry says, here against a recording host.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EVENTS,
  EVENT_TYPES,
  dispatchHost,
  dispatchWorkload,
  isWorkloadEvent,
  readEvents,
  type HostControl,
  type ScenarioEvent,
} from '../../src/sim/events.js';
import { Problems } from '../../src/sim/fields.js';
import { State, UploadReason } from '../../src/table/enums.js';

const test = suite('sim/events');

/** One valid instance of every event type, built from the registry's field kinds. */
function oneOfEach(): Record<string, unknown>[] {
  const sample = { interface: 1, optionalInterface: 1, count: 3, priority: 9, uploadReason: 'TimeoutExpiration' } as const;
  return EVENT_TYPES.map((type, i) => ({
    atMs: i * 10,
    type,
    ...Object.fromEntries(Object.entries(EVENTS[type].fields).map(([k, kind]) => [k, sample[kind as keyof typeof sample]])),
  }));
}

test('every event type reads back as written and belongs to exactly one side', () => {
  const raw = oneOfEach();
  const p = new Problems();
  const events = readEvents(raw, p, { durationMs: 10_000, interfaces: new Set([1]) });
  assert.equal(p.list, []);
  assert.equal(events, raw);
  for (const type of EVENT_TYPES) assert.ok(Boolean(EVENTS[type].workload) !== Boolean(EVENTS[type].host), `${type}: one side`);
  assert.equal(
    events.filter(isWorkloadEvent).map((e) => e.type),
    ['burst', 'close'],
  );
});

test('host events do what their entry says', () => {
  const calls: string[] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) =>
      void calls.push(`${name}(${args.join(',')})`);
  const resolved =
    (name: string) =>
    (...args: unknown[]) => (calls.push(`${name}(${args.join(',')})`), Promise.resolve());
  const h: HostControl = {
    host: { pause: resolved('pause'), restart: rec('restart'), powerTransition: resolved('powerTransition'), invalidate: resolved('invalidate') } as never,
    target: {
      linkDown: rec('linkDown'),
      linkUp: rec('linkUp'),
      requestUploadAll: rec('uploadAll'),
      pauseOffload: rec('offloadPause'),
      resumeOffload: rec('offloadResume'),
      requestUpload: rec('requestUpload'),
    } as never,
    table: { neighborsOn: () => [11, 12], state: () => State.Offloaded, pending: () => false } as never,
    random: () => 0,
    offloadedConnections: () => [101, 102, 103, 104],
    report: rec('report'),
  };
  for (const e of oneOfEach() as ScenarioEvent[]) if (!isWorkloadEvent(e)) dispatchHost(h, e);
  assert.equal(calls, [
    'linkDown(1)',
    'linkUp(1)',
    'invalidate(11)',
    'pause(1)',
    'restart()',
    'uploadAll()',
    'offloadPause()',
    'offloadResume()',
    'powerTransition()',
    `requestUpload(101,${UploadReason.TimeoutExpiration})`,
    `requestUpload(102,${UploadReason.TimeoutExpiration})`,
    `requestUpload(103,${UploadReason.TimeoutExpiration})`,
  ]);
});

test('a host call that rejects is reported, not thrown', async () => {
  const reports: string[] = [];
  const h = { host: { pause: () => Promise.reject(new Error('target gone')) }, report: (m: string) => reports.push(m) } as unknown as HostControl;
  dispatchHost(h, { atMs: 0, type: 'pause' });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(reports, ['pause: Error: target gone']);
});

test('workload events go to the workload', () => {
  const calls: string[] = [];
  const w = { burst: (c: number, p: number) => calls.push(`burst ${c} ${p}`), close: (c: number) => calls.push(`close ${c}`) };
  for (const e of oneOfEach() as ScenarioEvent[]) if (isWorkloadEvent(e)) dispatchWorkload(w, e);
  assert.equal(calls, ['burst 3 9', 'close 3']);
});

test('events are sorted by time, keeping file order at equal times', () => {
  const p = new Problems();
  const events = readEvents(
    [
      { atMs: 5, type: 'restart' },
      { atMs: 1, type: 'linkUp', ifIndex: 1 },
      { atMs: 5, type: 'uploadAll' },
    ],
    p,
    { durationMs: 10, interfaces: new Set([1]) },
  );
  assert.equal(
    events.map((e) => e.type),
    ['linkUp', 'restart', 'uploadAll'],
  );
});

test.run();
