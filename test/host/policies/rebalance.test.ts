// rebalance: fastest first while there is room; at capacity, every interval, swap slowest
// offloaded for fastest waiting while the waiting one is faster, at most maxSwaps a round.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rebalance, ConnectionStatus as S, Reason, ErrorCode } from '../../../src/index.js';
import { throwsCode } from '../../helpers.js';
import { context } from './context.js';
import { lab, opened, step, drain } from '../lab.js';

const test = suite('policy rebalance');
const list = (a: ArrayLike<number> | undefined) => Array.from(a ?? []);

test('with room: the fastest connections in software, up to the room', () => {
  const p = rebalance.create();
  const d = p.tick(context([{ rate: 5 }, { rate: 50 }, { rate: 0 }, { rate: 20 }, { status: S.Offloaded, rate: 999 }], { capacity: 3 }));
  assert.equal(list(d?.offload), [1, 3], 'room 2; a connection that moved nothing is not offered');
});

test('at capacity: swaps while the waiting one is faster, at most maxSwaps, once per interval', () => {
  const p = rebalance.create({ maxSwaps: 2, intervalMs: 3000 });
  const rows = [
    { status: S.Offloaded, rate: 10 },
    { status: S.Offloaded, rate: 1 },
    { status: S.Offloaded, rate: 100 },
    { status: S.Offloaded, rate: 5 },
    { rate: 50 },
    { rate: 7 },
    { rate: 2 },
    { rate: 8 },
  ];
  const d = p.tick(context(rows, { capacity: 4, now: 10_000 }))!;
  assert.equal(list(d.terminate), [1, 3], 'slowest two (1, 5) for the fastest two (50, 8)');
  assert.is(d.terminateReason, Reason.HigherPriority);
  assert.is(p.tick(context(rows, { capacity: 4, now: 12_000 })), undefined, 'not before the interval');
  assert.equal(list(p.tick(context(rows, { capacity: 4, now: 13_000 }))!.terminate), [1, 3]);
  const one = rebalance
    .create({ maxSwaps: 5 })
    .tick(context([{ status: S.Offloaded, rate: 10 }, { status: S.Offloaded, rate: 3 }, { rate: 4 }, { rate: 3 }], { capacity: 2 }))!;
  assert.equal(list(one.terminate), [1], 'stops when the waiting one is no faster');
});

test('bad options name every bad field', () => {
  const e = throwsCode(() => rebalance.create({ intervalMs: 0, maxSwaps: 1.5, minRate: 'x' } as never), ErrorCode.InvalidArgument);
  assert.match(e.message, /3 bad options: intervalMs: .*; maxSwaps: .*; minRate: /);
});

test('through the host: a fast connection in software replaces a slow offloaded one', async () => {
  const l = await lab({ capacity: 1 }, { offload: rebalance.create({ intervalMs: 1000 }) });
  const [slow, fast] = l.host.open(opened([{}, {}]));
  l.host.traffic([slow!], [100], [0]);
  await step(l); // first tick starts the clock (no rate yet)
  l.host.traffic([slow!], [100], [0]);
  await step(l); // slow has a rate: offloaded
  const c = l.host.connections;
  const status = (id: number) => c.status[c.id.indexOf(id)];
  assert.is(status(slow!), S.Offloaded);
  for (let i = 0; i < 12; i++) {
    l.host.traffic([slow!, fast!], [10, 100_000], [0, 0]);
    await step(l);
  }
  await drain(l);
  assert.is(status(fast!), S.Offloaded);
  assert.is(status(slow!), S.Software);
  assert.equal(l.host.metrics().terminationsByReason, { HigherPriority: 1 });
});

test.run();
