// threshold: offload once a connection has moved N bytes; preempts like eager at capacity.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { threshold, ConnectionStatus as S, ErrorCode } from '../../../src/index.js';
import { throwsCode } from '../../helpers.js';
import { context } from './context.js';
import { lab, opened, step } from '../lab.js';

const test = suite('policy threshold');
const list = (a: ArrayLike<number> | undefined) => Array.from(a ?? []);

test('offers active connections in software that reached N bytes, not before', () => {
  const p = threshold.create({ bytes: 1000 });
  const d = p.tick(
    context([
      { arrived: true, bytes: 0 },
      { bytes: 999, tickBytes: 10 },
      { bytes: 1000, tickBytes: 10 },
      { bytes: 5000 },
      { status: S.Offloaded, bytes: 9000, tickBytes: 1 },
    ]),
  );
  assert.equal(list(d?.offload), [2], 'quiet ones (slot 3) wait until they move bytes again');
});

test('bytes: 0 offloads on arrival, like eager', () => {
  assert.equal(list(threshold.create({ bytes: 0 }).tick(context([{ arrived: true }, {}]))?.offload), [0]);
});

test('the default is 131072 bytes', () => {
  const p = threshold.create();
  assert.equal(
    list(
      p.tick(
        context([
          { bytes: 131071, tickBytes: 1 },
          { bytes: 131072, tickBytes: 1 },
        ]),
      )?.offload,
    ),
    [1],
  );
});

test('bad options name every bad field', () => {
  const e = throwsCode(() => threshold.create({ bytes: -1, preempt: 1 } as never), ErrorCode.InvalidArgument);
  assert.match(e.message, /policy 'threshold': 2 bad options/);
  assert.match(e.message, /bytes: must be an integer at least 0, got number -1/);
  assert.match(e.message, /preempt: must be true or false/);
});

test('through the host: bytes before the threshold are software bytes, after it offloaded', async () => {
  const l = await lab({ capacity: 10 }, { offload: threshold.create({ bytes: 10_000 }) });
  const [id] = l.host.open(opened([{}]));
  await step(l);
  l.host.traffic([id!], [6000], [0]);
  await step(l);
  l.host.traffic([id!], [6000], [0]);
  await step(l); // 12000 >= 10000: offered, initiated, completed
  l.host.traffic([id!], [500], [0]);
  const m = l.host.metrics();
  assert.is(m.softwareBytes, 12000);
  assert.is(m.offloadedBytes, 500);
  assert.is(l.host.offloadPolicy.name, 'threshold');
});

test.run();
