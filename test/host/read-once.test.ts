// The host's read-once helpers read each entry once and copy buffers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readOnce, snapshot } from '../../src/host/read-once.js';
import { ErrorCode } from '../../src/index.js';
import { throwsCode } from '../helpers.js';

const test = suite('host read once');

test('readOnce reads every entry exactly once, and copies typed arrays', () => {
  const reads = new Map<string, number>();
  const list = new Proxy([5, 6, 7], { get: (t, k) => (reads.set(String(k), (reads.get(String(k)) ?? 0) + 1), Reflect.get(t, k)) });
  assert.equal([...Array.from(readOnce(list, 'x'))], [5, 6, 7]);
  assert.equal([reads.get('0'), reads.get('1'), reads.get('2'), reads.get('length')], [1, 1, 1, 1]);
  const shared = new Float64Array(new SharedArrayBuffer(16)).fill(3);
  const copy = readOnce(shared, 'x');
  shared[0] = 9;
  assert.is(copy[0], 3);
});

test('readOnce refuses what is not a batch, or a batch too long to copy', () => {
  throwsCode(() => readOnce(5 as never, 'handles'), ErrorCode.InvalidArgument, /handles must be an array/);
  throwsCode(() => readOnce({ length: 2 ** 30 } as never, 'handles'), ErrorCode.InvalidArgument, /at most 134,217,728 entries/);
  throwsCode(() => readOnce({ length: -1 } as never, 'handles'), ErrorCode.InvalidArgument);
});

test('snapshot copies address bytes and reads each field once', () => {
  const bytes = new Uint8Array(16);
  const s = snapshot({ ifIndex: 1, nextHop: bytes, source: 'a', destination: 'b', localPort: 1, remotePort: 2 });
  bytes[0] = 1;
  assert.is((s.nextHop as Uint8Array)[0], 0);
  assert.ok(!('priority' in s) && !('tcp' in s));
});

test.run();
