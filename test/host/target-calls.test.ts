// TargetCalls: one outcome per call whatever the target does; timeouts on the host's clock; late
// answers reported and handed to onLate; idle() waits for everything in flight.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TargetCalls, CallFailed, catchRejection, type FaultReport } from '../../src/host/target-calls.js';

const tick = () => new Promise((r) => setTimeout(r, 0));
const outcome = (p: Promise<unknown>) =>
  p.then(
    (v) => `ok:${String(v)}`,
    (e: CallFailed) => `${e.fault}:${e.message}`,
  );

const test = suite('target calls');

test('an answer, a rejection, a synchronous throw and a non-promise each give one outcome', async () => {
  const calls = new TargetCalls(100, () => assert.unreachable('nothing to report'));
  assert.is(await outcome(calls.run('a', 0, () => Promise.resolve(1))), 'ok:1');
  assert.match(await outcome(calls.run('b', 0, () => Promise.reject(new Error('no')))), /^rejected:the target's b failed: no/);
  assert.match(
    await outcome(
      calls.run('c', 0, () => {
        throw new Error('sync');
      }),
    ),
    /^threw:the target's c threw instead of returning a promise: sync/,
  );
  assert.is(await outcome(calls.run('d', 0, () => 5 as unknown as Promise<number>)), 'ok:5');
  assert.is(calls.size, 0);
});

test('a call not answered by its deadline fails after the tick; its late answer is reported and handed on', async () => {
  const reports: FaultReport[] = [];
  const calls = new TargetCalls(100, (f) => reports.push(f));
  let answer!: (v: number) => void;
  const late: number[] = [];
  const call = outcome(
    calls.run(
      'slow',
      50,
      () => new Promise<number>((r) => (answer = r)),
      (v) => late.push(v),
    ),
  );
  calls.expire(149);
  await tick();
  assert.is(calls.size, 1, 'not due yet');
  calls.expire(150);
  await tick();
  assert.is(await call, 'timeout:the target did not answer its slow within 100 ms');
  await calls.idle();
  answer(7);
  await tick();
  assert.equal(
    reports.map((r) => r.fault),
    ['late'],
  );
  assert.equal(late, [7]);
});

test('an answer given at the deadline itself wins over the timeout', async () => {
  const calls = new TargetCalls(100, () => assert.unreachable('no late answer'));
  let answer!: (v: number) => void;
  const call = outcome(calls.run('edge', 0, () => new Promise<number>((r) => (answer = r))));
  answer(3); // answered, but its callbacks have not run yet when the tick expires calls
  calls.expire(100);
  assert.is(await call, 'ok:3');
});

test('idle() waits for tracked work', async () => {
  const calls = new TargetCalls(Infinity, () => undefined);
  let done = false;
  let release!: () => void;
  void calls.track(new Promise<void>((r) => (release = r))).then(() => (done = true));
  const idle = calls.idle().then(() => assert.ok(done));
  calls.expire(1e12); // Infinity: never times out
  release();
  await idle;
});

test('catchRejection: a rejection or a throwing then() goes to the callback; plain values and resolved promises do not', async () => {
  const seen: unknown[] = [];
  const rejected = (e: unknown) => seen.push(e instanceof Error ? e.message : e);
  for (const v of [undefined, null, 0, 'x', {}, () => {}, Promise.resolve(1)]) catchRejection(v, rejected);
  catchRejection(Promise.reject(new Error('a')), rejected);
  // Thenables that are not promises, made with defineProperty (a literal `then` is linted as a mistake).
  const throwing = Object.defineProperty({}, 'then', {
    get() {
      throw new Error('b');
    },
  });
  const rejecting = Object.defineProperty({}, 'then', { value: (_: unknown, no: (e: unknown) => void) => no('c') });
  catchRejection(throwing, rejected);
  catchRejection(rejecting, rejected);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(seen.sort(), ['a', 'b', 'c']);
});

test.run();
