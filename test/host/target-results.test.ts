// Reading a target's answer: matched by handle, read once, each mistake reported; returned state
// checked and copied.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readResults, returnedState } from '../../src/host/target-results.js';
import type { FaultReport } from '../../src/host/target-calls.js';

const read = (handles: number[], answer: unknown) => {
  const reports: FaultReport[] = [];
  const results = readResults('terminate', handles, answer, (f) => reports.push(f));
  return { results, faults: reports.map((r) => `${r.fault}${r.handle === undefined ? '' : ':' + r.handle}`), reports };
};

const test = suite('target results');

test('results by handle; unknown, duplicate, missing and malformed entries reported', () => {
  const r = read([1, 2, 3], [{ handle: 2, ok: true }, { handle: 9, ok: true }, { handle: 2, ok: false }, 'junk', { handle: 1, ok: 'yes' }]);
  assert.equal(r.faults, ['unknown:9', 'duplicate:2', 'malformed', 'missing:3']);
  assert.equal(
    r.results!.map((x) => x?.ok),
    [false, true, undefined],
    'by position in the call; ok must be true, not truthy',
  );
});

test('an answer in the order of the call, or in any other order, gives the same results', () => {
  const answer = [
    { handle: 7, ok: true, error: 'x' },
    { handle: 8, ok: false },
    { handle: 9, ok: true },
  ];
  const inOrder = read([7, 8, 9], answer);
  const reversed = read([7, 8, 9], [...answer].reverse());
  assert.equal(inOrder.faults, []);
  assert.equal(reversed.faults, []);
  assert.equal(reversed.results, inOrder.results);
  assert.equal(
    inOrder.results!.map((x) => [x?.ok, x?.error]),
    [
      [true, 'x'],
      [false, undefined],
      [true, undefined],
    ],
  );
  assert.not.ok('error' in inOrder.results![1]!, 'no error field unless the target gave one');
});

test('an answer that is not a list, or that throws when read, is malformed', () => {
  assert.equal(read([1], { handle: 1 }).faults, ['malformed']);
  assert.is(read([1], { handle: 1 }).results, undefined);
  const hostile = new Proxy([], {
    get: (t, k) =>
      k === 'length'
        ? 1
        : k === '0'
          ? (() => {
              throw new Error('trap');
            })()
          : Reflect.get(t, k),
  });
  assert.equal(read([1], hostile).faults, ['malformed']);
});

test('a flood of mistakes is five reports and a count', () => {
  const r = read([1], [{ handle: 1, ok: true }, ...Array.from({ length: 50 }, (_, i) => ({ handle: 100 + i, ok: true }))]);
  assert.is(r.reports.length, 6);
  assert.match(r.reports[5]!.message, /45 more faults like the ones above \(unknown\)/);
});

test('returned state: checked and copied; anything less is lost (undefined)', () => {
  const delegated = {
    sndUna: 1,
    sndNxt: 5,
    rcvNxt: 9,
    sndWnd: 1,
    cWnd: 1,
    ssThresh: 1,
    sRtt: 0,
    rttVar: 0,
    timers: { retransmit: 200, keepalive: null, delayedAck: 'x' },
  };
  const ok = returnedState({ ok: true, delegated, unacknowledged: [{ seq: 1, length: 4 }] })!;
  assert.equal(ok.unacknowledged, [{ seq: 1, length: 4 }]);
  assert.equal(ok.received, [], 'no queue given: empty');
  assert.equal(ok.delegated.timers, { retransmit: 200, keepalive: null, delayedAck: null });
  delegated.sndUna = 99;
  assert.is(ok.delegated.sndUna, 1, 'a copy');
  assert.is(returnedState({ ok: false, delegated }), undefined);
  assert.is(returnedState({ ok: true }), undefined);
  assert.is(returnedState({ ok: true, delegated: { ...delegated, rcvNxt: NaN } }), undefined);
  assert.is(returnedState({ ok: true, delegated, received: [{ seq: 1, length: -1 }] }), undefined);
  assert.is(returnedState({ ok: true, delegated, received: 'lots' }), undefined);
  assert.is(returnedState(undefined), undefined);
});

test.run();
