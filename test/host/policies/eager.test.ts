// eager: offload on arrival (and again when a connection in software moves bytes); at capacity,
// preempt strictly lower priority, least recently active first, one victim per offload.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { eager, ConnectionStatus as S, Reason, ErrorCode } from '../../../src/index.js';
import { throwsCode } from '../../helpers.js';
import { context } from './context.js';
import { lab, opened, step, drain } from '../lab.js';

const test = suite('policy eager');
const list = (a: ArrayLike<number> | undefined) => Array.from(a ?? []);

test('offers arrivals and active connections in software, highest priority first', () => {
  const p = eager.create();
  const d = p.tick(context([{ arrived: true, priority: 1 }, { arrived: true, priority: 7 }, { tickBytes: 5 }, { status: S.Offloaded, tickBytes: 9 }, {}]));
  assert.equal(list(d?.offload), [1, 0, 2]);
  assert.equal(list(d?.terminate), []);
});

test('at capacity: strictly lower priority, least recently active, one victim each', () => {
  const p = eager.create();
  const ctx = context(
    [
      { status: S.Offloaded, priority: 1, lastActiveAt: 50 },
      { status: S.Offloaded, priority: 1, lastActiveAt: 10 },
      { status: S.Offloaded, priority: 0, lastActiveAt: 90 },
      { status: S.Offloaded, priority: 5, lastActiveAt: 0 },
      { arrived: true, priority: 5 },
      { arrived: true, priority: 5 },
      { arrived: true, priority: 1 }, // nothing strictly lower left for it after the two above
    ],
    { capacity: 4 },
  );
  const d = p.tick(ctx)!;
  assert.equal(list(d.terminate), [2, 1], 'priority 0 first, then the least recently active priority 1');
  assert.is(d.terminateReason, Reason.HigherPriority);
  assert.equal(list(d.offload), [4, 5, 6]);
  // Next tick, while the victims are still leaving: the waiting ones preempt nothing more.
  ctx.columns.status[2] = S.Terminating;
  ctx.columns.status[1] = S.Terminating;
  const again = p.tick({ ...ctx, arrived: new Uint32Array(0) })!;
  assert.equal(list(again.terminate), []);
  assert.equal(list(again.offload), [4, 5], 'the waiting ones are offered first');
});

test('property: the first decision equals a naive model (sort everything, match greedily)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ state: fc.constantFrom(S.Software, S.Offloaded, S.Terminating), priority: fc.nat(3), arrived: fc.boolean(), tick: fc.nat(3) }), {
        maxLength: 40,
      }),
      fc.nat(30),
      (rows, capacity) => {
        const ctx = context(
          rows.map((r, i) => ({
            status: r.state,
            priority: r.priority,
            arrived: r.state === S.Software && r.arrived,
            tickBytes: r.tick,
            lastActiveAt: 1000 + ((i * 7919) % 997) + i / 1000, // distinct
          })),
          { capacity },
        );
        const d = eager.create().tick(ctx);
        const c = ctx.columns;
        const candidates = [...new Set([...ctx.arrived, ...ctx.active])].filter((s) => c.status[s] === S.Software);
        const ordered = [...candidates].sort((a, b) => c.priority[b]! - c.priority[a]!); // stable
        const room = Math.max(0, capacity - ctx.occupied);
        const expectedTerminate: number[] = [];
        if (ordered.length > room) {
          const victims = [...ctx.live]
            .filter((s) => c.status[s] === S.Offloaded)
            .sort((a, b) => c.priority[a]! - c.priority[b]! || c.lastActiveAt[a]! - c.lastActiveAt[b]!);
          let j = 0;
          for (const w of ordered.slice(room)) {
            if (j === victims.length || c.priority[victims[j]!]! >= c.priority[w]!) break;
            expectedTerminate.push(victims[j++]!);
          }
        }
        if (ordered.length === 0) assert.is(d, undefined);
        else {
          assert.equal(list(d?.offload), ordered);
          assert.equal(list(d?.terminate), expectedTerminate);
        }
      },
    ),
  );
});

test('preempt: false never terminates; equal priority never preempts', () => {
  const rows = [
    { status: S.Offloaded, priority: 0 },
    { arrived: true, priority: 3 },
  ];
  assert.equal(list(eager.create({ preempt: false }).tick(context(rows, { capacity: 1 }))?.terminate), []);
  assert.equal(
    list(
      eager.create().tick(
        context(
          [
            { status: S.Offloaded, priority: 3 },
            { arrived: true, priority: 3 },
          ],
          { capacity: 1 },
        ),
      )?.terminate,
    ),
    [],
  );
});

test('bad options name every bad field', () => {
  throwsCode(
    () => eager.create({ preempt: 'yes', speed: 3 } as never),
    ErrorCode.InvalidArgument,
    /2 bad options: speed: not an option.*preempt: must be true or false/,
  );
});

test('through the host: a high-priority arrival preempts and is offloaded once the victim is gone', async () => {
  const l = await lab({ capacity: 2, latencyMs: 30 });
  const low = l.host.open(opened([{ priority: 1 }, { priority: 1 }]));
  await step(l);
  await step(l);
  l.host.traffic([low[0]!], [10], [0]); // low[1] is the least recently active
  await step(l);
  const [high] = l.host.open(opened([{ priority: 9 }]));
  await step(l); // preempts low[1]
  await step(l); // its upload completed: room
  await step(l); // offered again (waiting), initiated
  await drain(l);
  const c = l.host.connections;
  const status = (id: number) => c.status[c.id.indexOf(id)];
  assert.is(status(high!), S.Offloaded);
  assert.is(status(low[1]!), S.Software);
  assert.is(status(low[0]!), S.Offloaded);
  assert.equal(l.host.metrics().terminationsByReason, { HigherPriority: 1 });
  assert.equal(l.errors, []);
});

test.run();
