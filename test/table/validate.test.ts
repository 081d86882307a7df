// validate.ts: option and batch readers read what they are given once, and their messages say
// what they got.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, OffloadTable, Reason } from '../../src/index.js';
import { readOptions, readPrune, isHandleForm, MIN_HANDLE } from '../../src/table/validate.js';
import { implementations, offloadedTree, throwsCode } from '../helpers.js';

const test = suite('validate');

/** An object whose fields are getters that count their reads and answer `first`, then `later`. */
function flipping(first: Record<string, unknown>, later: Record<string, unknown>, reads: Record<string, number>): object {
  const value = {};
  for (const k of Object.keys(first)) {
    Object.defineProperty(value, k, {
      enumerable: true,
      get() {
        reads[k] = (reads[k] ?? 0) + 1;
        return reads[k] === 1 ? first[k] : later[k];
      },
    });
  }
  return value;
}

test('regression: table options are read once each, by create() too (it read them twice)', () => {
  const reads: Record<string, number> = {};
  const options = flipping({ maxConnections: 2, maxMemoryBytes: 1 << 21 }, { maxConnections: 2 ** 30, maxMemoryBytes: 5 }, reads);
  const t = OffloadTable.createSync(options);
  assert.equal(reads, { maxConnections: 1, maxMemoryBytes: 1 });
  assert.is(t.limits().maxConnections, 2);
  assert.equal(readOptions(flipping({ maxPaths: 7 }, { maxPaths: -1 }, {})).maxPaths, 7);
});

test('regression: prune is read once (it was read up to three times)', () => {
  const reads: Record<string, number> = {};
  assert.is(readPrune(flipping({ prune: false }, { prune: 'yes' }, reads) as never, 'terminate'), 0);
  assert.equal(reads, { prune: 1 });
});

test('a handle has kind bits: numbers below 2^51 are not handles', () => {
  assert.ok(isHandleForm(MIN_HANDLE));
  assert.ok(isHandleForm(Number.MAX_SAFE_INTEGER));
  for (const v of [0, 1, 12345, MIN_HANDLE - 1, 2 ** 53, 1.5 + MIN_HANDLE, Number.NaN, '4503599627370497']) assert.not.ok(isHandleForm(v), String(v));
});

for (const [name, create] of implementations) {
  test(`messages say what they got (${name})`, () => {
    const t = create();
    const tree = offloadedTree(t, 1, 1, 1);
    throwsCode(
      () => t.findConnections({ sources: new Uint8Array(16), destinations: new Uint8Array(15), localPorts: [1], remotePorts: [1] }),
      ErrorCode.InvalidArgument,
      /destinations must be a Uint8Array of 16 bytes per key \(16\), got 15 bytes/,
    );
    throwsCode(
      () => t.findConnections({ sources: new Uint8Array(16), destinations: [1] as never, localPorts: [1], remotePorts: [1] }),
      ErrorCode.InvalidArgument,
      /destinations must be a Uint8Array .*, got an array/,
    );
    const weird = new Proxy([] as number[], { get: (target, key) => (key === 'length' ? 'many' : Reflect.get(target, key)) });
    throwsCode(() => t.terminate(weird, Reason.Application), ErrorCode.InvalidArgument, /^terminate: handles has the string "many" entries/);
    t.check();
    assert.is(t.state(tree.neighbor), 2);
  });
}

test.run();
