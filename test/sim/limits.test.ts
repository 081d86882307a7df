// Estimates made before a run: the shipped scenarios fit this kind of machine; the scenarios of
// issue 8 item 11 (10,000,000 connections in one tick, a day at 1 ms ticks) are refused with a
// message that says what to change.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { estimate, refusal } from '../../src/sim/limits.js';
import { readScenario } from '../../src/sim/scenario.js';
import { smallScenario, websearch } from './helpers.js';

const test = suite('sim/limits');
const machine = { bytes: 8 * 2 ** 30, seconds: 30 * 60, runs: 2 };
const shipped = (name: string) => readScenario(JSON.parse(readFileSync(new URL(`../../scenarios/${name}.json`, import.meta.url), 'utf8')));

test('the shipped scenarios are accepted, and the million one is estimated in seconds, not hours', () => {
  for (const name of ['default', 'hadoop', 'long-lived', 'million']) assert.is(refusal(estimate(shipped(name), websearch), machine), undefined, name);
  const e = estimate(shipped('million'), websearch);
  assert.is(e.connections, 1_000_000);
  assert.ok(e.seconds > 2 && e.seconds < 60, `${e.seconds} s`);
  assert.ok(e.bytes < 2 ** 30, `${e.bytes} bytes`);
});

test('10,000,000 connections arriving in one tick: refused for memory, saying what to change', () => {
  const s = smallScenario((j) => ((j.connections.count = 10_000_000), (j.connections.arrivalMs = 1), (j.target.capacity = 10_000_000)));
  const why = refusal(estimate(s, websearch), machine);
  assert.match(why ?? '', /would need about [\d.]+ GiB of memory .*10,000,050 connections, up to 10,000,050 opening in one tick/);
  assert.match(why ?? '', /Lower connections\.count .* connections\.arrivalMs, raise tickMs, or run fewer at once with --workers/);
});

test('the most events a scenario may hold are estimated (no spread of the list onto the stack); one more is refused', () => {
  const s = smallScenario((j) => {
    j.events = Array.from({ length: 100_000 }, (_, i) => ({
      atMs: i % 1000,
      type: i === 7 ? 'burst' : 'restart',
      ...(i === 7 ? { count: 40, priority: 0 } : {}),
    }));
  });
  assert.is(s.events.length, 100_000);
  assert.ok(estimate(s, websearch).peakArrivals >= 40, 'the burst counts');
  try {
    smallScenario((j) => {
      j.events = Array.from({ length: 100_001 }, () => ({ atMs: 1, type: 'restart' }));
    });
    assert.unreachable('100,001 events were accepted');
  } catch (e) {
    assert.match((e as Error).message, /events: at most 100,000 events, got 100,001/);
  }
});

test('a day at 1 ms ticks: refused for time, with --max-minutes as the way out', () => {
  const s = smallScenario((j) => ((j.durationMs = 86_400_000), (j.tickMs = 1), (j.connections.count = 1000)));
  const why = refusal(estimate(s, websearch), machine);
  assert.match(why ?? '', /one run would take about [\d,]+ minutes here \(86,400,000 ticks/);
  assert.match(why ?? '', /Raise tickMs, shorten durationMs .* --max-minutes N/);
  assert.is(refusal(estimate(s, websearch), { ...machine, seconds: 1e9 }), undefined);
});

test.run();
