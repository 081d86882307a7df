// Reading a target's answer: matched by handle, read once, each mistake reported; returned state
// checked and copied.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readResults, returnedState, returnedNumbers } from '../../src/host/target-results.js';
import type { Segment } from '../../src/index.js';
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

test('property: returnedNumbers comes back exactly when returnedState does, with the numbers of its copy', () => {
  /** The nothing-lost check's reading of a copied queue: bytes if contiguous from `start` (or its first seq), else -1. */
  const contiguous = (q: Segment[], start: number | undefined) => {
    let next = start ?? q[0]?.seq ?? 0;
    let total = 0;
    for (const seg of q) {
      if (seg.seq !== next || !(seg.length > 0)) return -1;
      next += seg.length;
      total += seg.length;
    }
    return total;
  };
  // Small numbers, so segments often follow each other (and start at sndUna), with some that are not numbers at all.
  const num = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: -1, max: 4 }) },
    fc.constantFrom(NaN, Infinity, 0.5),
    fc.constantFrom('7' as unknown as number, undefined as unknown as number),
  );
  const segment = fc.oneof({ weight: 6, arbitrary: fc.record({ seq: num, length: num }) }, fc.constant(null), fc.record({ seq: num }));
  const queue = fc.oneof({ weight: 6, arbitrary: fc.array(segment, { maxLength: 4 }) }, fc.constant(undefined), fc.constant('lots'));
  const delegated = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        sndUna: num,
        sndNxt: num,
        rcvNxt: num,
        sndWnd: fc.constant(1),
        cWnd: fc.constant(1),
        ssThresh: fc.constant(1),
        sRtt: num,
        rttVar: fc.constant(0),
        timers: fc.option(fc.record({ retransmit: num }), { nil: undefined }),
      }),
    },
    fc.constant(null),
    fc.constant(undefined),
  );
  const result = fc.record({
    ok: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
    delegated,
    received: queue,
    unacknowledged: queue,
  });
  fc.assert(
    fc.property(result, (r) => {
      const state = returnedState(r);
      const numbers = returnedNumbers(r);
      if (!state) {
        assert.is(numbers, undefined);
        return;
      }
      const d = state.delegated;
      const last = state.received.at(-1);
      assert.equal(numbers, {
        sndUna: d.sndUna,
        sndNxt: d.sndNxt,
        rcvNxt: d.rcvNxt,
        unacknowledged: contiguous(state.unacknowledged, d.sndUna),
        buffered: contiguous(state.received, undefined),
        receivedEnd: last ? last.seq + last.length : 0,
      });
    }),
    { numRuns: 5000 },
  );
  const throwing = {
    ok: true,
    delegated: {
      sndUna: 1,
      sndNxt: 1,
      rcvNxt: 1,
      sndWnd: 1,
      cWnd: 1,
      ssThresh: 1,
      sRtt: 1,
      rttVar: 1,
      get timers(): never {
        throw new Error('no');
      },
    },
  };
  assert.is(returnedState(throwing), undefined, 'a getter that throws: nothing came back');
  assert.is(returnedNumbers(throwing), undefined);
});

test.run();
