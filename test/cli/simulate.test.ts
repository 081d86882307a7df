// simulate's oracle on a worker thread is only a way to save time: when the worker fails (out of
// memory, killed, a bug in the pool), the run's figures still come, from the oracle on this thread,
// with a note; a damaged trace is the input's fault and is not run a second time.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { oracleApart } from '../../src/cli/simulate.js';
import type { OracleResult } from '../../src/sim/oracle.js';
import { TraceError } from '../../src/trace/errors.js';

const test = suite('simulate');

const figures = { capacity: 5, offloadedBytes: 123, offloadRatio: 0.5, churnPerSecond: 2 } as unknown as OracleResult;

test('the worker answers: its figures, and the oracle does not run here', async () => {
  let here = 0;
  const notes: string[] = [];
  const r = await oracleApart(
    Promise.resolve(figures),
    async () => (here++, figures),
    (m) => notes.push(m),
  );
  assert.is(r, figures);
  assert.is(here, 0);
  assert.equal(notes, []);
});

test('the worker fails or returns nothing: the oracle runs here, and a note says why', async () => {
  for (const worker of [Promise.reject(new Error('a worker stopped (exit code 134)')), Promise.resolve(undefined)]) {
    let here = 0;
    const notes: string[] = [];
    const r = await oracleApart(
      worker,
      async () => (here++, figures),
      (m) => notes.push(m),
    );
    assert.is(r, figures);
    assert.is(here, 1);
    assert.is(notes.length, 1);
    assert.match(notes[0]!, /oracle.*worker.*this thread/);
  }
  const notes: string[] = [];
  await oracleApart(
    Promise.reject(new Error('exit code 134')),
    async () => figures,
    (m) => notes.push(m),
  );
  assert.match(notes[0]!, /exit code 134/);
});

test('a damaged trace is not run again: the error goes to the caller', async () => {
  let here = 0;
  const damaged = new TraceError('BadLength', 'capture.pcap: truncated at byte 40', 40);
  try {
    await oracleApart(
      Promise.reject(damaged),
      async () => (here++, figures),
      () => {},
    );
    assert.unreachable('expected the TraceError');
  } catch (e) {
    assert.is(e, damaged);
  }
  assert.is(here, 0);
});

test.run();
