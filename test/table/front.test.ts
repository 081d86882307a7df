// The front end's per-call readers (src/table/front.ts): each argument read once, checked in the
// order the call names them, keys written to the sink only after every argument has been read.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, formatAddress } from '../../src/index.js';
import * as front from '../../src/table/front.js';
import { throwsCode } from '../helpers.js';

const HANDLE = 3 * 2 ** 51 + 5;

/** A sink that counts how often its bytes were asked for. */
function sink() {
  const bytes = new Uint8Array(64);
  const s = { asked: 0, bytes: () => (s.asked++, bytes), src: 8, dst: 40, raw: bytes };
  return s;
}

/** An object whose every field counts its reads. */
function counted<T extends object>(fields: T): { value: T; reads: Record<string, number> } {
  const reads: Record<string, number> = {};
  const value = {} as T;
  for (const [k, v] of Object.entries(fields)) {
    Object.defineProperty(value, k, {
      enumerable: true,
      get() {
        reads[k] = (reads[k] ?? 0) + 1;
        return v;
      },
    });
  }
  return { value, reads };
}

const test = suite('front');

test('readPath reads each field once and writes source and destination where the sink says', () => {
  const s = sink();
  const { value, reads } = counted({ source: '10.0.0.1', destination: 'fe80::9', mtu: 9000 });
  const a = front.readPath(value, HANDLE, s);
  assert.equal(a, { neighbor: HANDLE, mtu: 9000 });
  assert.equal(reads, { source: 1, destination: 1, mtu: 1 });
  assert.is(s.asked, 1, 'the sink is asked once, after the reads');
  assert.is(formatAddress(s.raw, 8), '10.0.0.1');
  assert.is(formatAddress(s.raw, 40), 'fe80::9');
});

test('readNeighbor and readConnection give defaults and pack ports local << 16 | remote', () => {
  const s = sink();
  assert.equal(front.readNeighbor({ ifIndex: 4, address: '1.2.3.4' }, s), { ifIndex: 4, linkLayerAddress: 0 });
  assert.equal(front.readNeighbor({ ifIndex: 4, address: '1.2.3.4', linkLayerAddress: '00:00:00:00:01:02' }, s), { ifIndex: 4, linkLayerAddress: 258 });
  assert.equal(front.readConnection({ localPort: 1, remotePort: 2 }, HANDLE), { path: HANDLE, ports: 65538, priority: 0 });
  assert.equal(front.readConnection({ localPort: 65535, remotePort: 65535, priority: 255 }, HANDLE), { path: HANDLE, ports: 0xffffffff, priority: 255 });
});

test('errors come in the order the call names its arguments, and nothing is written before the last read', () => {
  const s = sink();
  // Bad neighbor handle and bad addresses: the handle is named first (it is the second argument,
  // but the path object's form comes first, then its parent, then its fields in order).
  throwsCode(() => front.readPath({ source: 'x', destination: 'y' }, 0, s), ErrorCode.InvalidArgument, /^offloadPath: neighbor must be a handle/);
  throwsCode(() => front.readPath({ source: 'x', destination: 'y', mtu: 1 }, HANDLE, s), ErrorCode.InvalidArgument, /^offloadPath: mtu/);
  throwsCode(() => front.readPath({ source: 'x', destination: 'y' }, HANDLE, s), ErrorCode.InvalidArgument, /^offloadPath: source: "x"/);
  throwsCode(() => front.readPath({ source: '1.1.1.1', destination: [1, 2] }, HANDLE, s), ErrorCode.InvalidArgument, /destination: .*16 of them.*got 2/);
  throwsCode(() => front.readConnection({ localPort: 1, remotePort: 1, priority: 256 }, HANDLE), ErrorCode.InvalidArgument, /^offloadConnection: priority/);
  throwsCode(() => front.readConnection(7, HANDLE), ErrorCode.InvalidArgument, /^offloadConnection: connection must be an object, got number 7$/);
});

test('readConnectionKey names the call it validates for', () => {
  const s = sink();
  assert.is(front.readConnectionKey({ source: '1.1.1.1', destination: '2.2.2.2', localPort: 3, remotePort: 4 }, s), (3 << 16) | 4);
  throwsCode(
    () => front.readConnectionKey({ source: '1.1.1.1', destination: '2.2.2.2', localPort: 70000, remotePort: 4 }, s),
    ErrorCode.InvalidArgument,
    /^findConnection: localPort/,
  );
  throwsCode(
    () => front.readConnectionKey({ source: '1.1.1.1', destination: '2.2.2.2', localPort: 70000, remotePort: 4 }, s, 'offload'),
    ErrorCode.InvalidArgument,
    /^offload: localPort must be an integer 0\.\.65535, got number 70000$/,
  );
});

test('a byte address is copied when read: changing it afterwards, or while other fields are read, changes nothing', () => {
  const s = sink();
  const destination = new Uint8Array(16);
  destination.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7]);
  const path = {
    source: '10.0.0.1',
    destination,
    get mtu() {
      return 1500;
    },
  };
  // The destination is read after mtu: a getter that changes it before then is read as changed,
  // but nothing after its read can reach the sink.
  const a = front.readPath(path, HANDLE, {
    ...s,
    bytes: () => {
      destination.fill(9);
      return s.raw;
    },
  });
  assert.is(a.mtu, 1500);
  assert.is(formatAddress(s.raw, 40), '10.0.0.7');
});

test('TickClock: the first tick starts the clock; time may not go back; a refused tick does not move it', () => {
  const clock = new front.TickClock();
  assert.is(clock.read(100, undefined).dt, 0);
  const t = clock.read(1100, { windowMs: 1000 });
  assert.is(t.dt, 1000);
  assert.ok(Math.abs(t.alpha - (1 - Math.exp(-1))) < 1e-12);
  throwsCode(() => clock.read(1099, undefined), ErrorCode.InvalidArgument, /before the previous tick \(1100\)/);
  throwsCode(() => clock.read(2000, { windowMs: 0 }), ErrorCode.InvalidArgument, /windowMs/);
  assert.is(clock.read(1200, undefined).dt, 100, 'refused ticks left the clock at 1100');
});

test('readTraffic caps the sum at 2^32-1; readVictims takes priority 256 for any connection', () => {
  assert.equal(front.readTraffic(HANDLE, 2 ** 32 - 1, 5), { handle: HANDLE, bytes: 2 ** 32 - 1 });
  assert.equal(front.readTraffic(HANDLE, 5, undefined), { handle: HANDLE, bytes: 5 });
  assert.equal(front.readVictims(3, 256), { count: 3, below: 256 });
  throwsCode(() => front.readVictims(3, 257), ErrorCode.InvalidArgument, /^chooseVictims: priority/);
});

test.run();
