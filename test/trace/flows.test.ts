// Flow assembly: when a connection opens and closes, which side is local, where its bytes go, and
// that memory follows the connections alive. Captures are written packet by packet here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAddress } from '../../src/table/address.js';
import { CaptureWriter } from '../../src/trace/writer.js';
import type { TraceOptions } from '../../src/trace/workload.js';
import { replay } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-flows-'));
const CLIENT = parseAddress('10.1.1.1');
const SERVER = parseAddress('10.2.2.2');
const SYN = 2,
  ACK = 16,
  SYN_ACK = 18,
  FIN_ACK = 17,
  RST = 4,
  PSH_ACK = 24;
const T0 = 1_600_000_000_000;
let n = 0;

/** [ms after T0, 'c' (client to server) or 's', flags, payload, client port?] */
type Pkt = [number, 'c' | 's', number, number, number?];

async function run(packets: Pkt[], options: TraceOptions = {}) {
  const w = new CaptureWriter({ format: 'pcap' });
  for (const [t, from, flags, payload, port = 50000] of packets) {
    if (from === 'c') w.segment(T0 + t, CLIENT, SERVER, port, 443, flags, payload);
    else w.segment(T0 + t, SERVER, CLIENT, 443, port, flags, payload);
  }
  const file = join(dir, `f${n++}.pcap`);
  writeFileSync(file, w.take(0));
  return replay(file, options);
}

const HANDSHAKE: Pkt[] = [
  [0, 'c', SYN, 0],
  [1, 's', SYN_ACK, 0],
  [2, 'c', ACK, 0],
];
const CLOSE = (t: number): Pkt[] => [
  [t, 'c', FIN_ACK, 0],
  [t + 1, 's', FIN_ACK, 0],
  [t + 2, 'c', ACK, 0],
];

const test = suite('trace: flow assembly');

test('a whole connection: the SYN sender is local; bytes each way; closed at the second FIN, the last ACK opens nothing', async () => {
  const r = await run([...HANDSHAKE, [3, 'c', PSH_ACK, 300], [150, 's', PSH_ACK, 1460], [160, 's', PSH_ACK, 40], ...CLOSE(250)]);
  assert.is(r.connections.length, 1);
  const c = r.connections[0]!;
  assert.is(c.key, '10.1.1.1 50000 > 10.2.2.2 443');
  assert.equal([c.sent, c.received], [300, 1500]);
  assert.equal([c.openedTick, c.closedTick], [0, 2]);
});

test('connections already open when the capture starts count: the side on the ephemeral port is local', async () => {
  const r = await run([
    [0, 's', PSH_ACK, 1000],
    [5, 'c', ACK, 0],
    [6, 'c', PSH_ACK, 10],
  ]);
  assert.is(r.connections.length, 1);
  assert.is(r.connections[0]!.key, '10.1.1.1 50000 > 10.2.2.2 443');
  assert.equal([r.connections[0]!.sent, r.connections[0]!.received], [10, 1000]);
  // Missed SYN, seen SYN-ACK: its receiver opened the connection.
  const s = await run([
    [0, 's', SYN_ACK, 0],
    [1, 'c', ACK, 0],
  ]);
  assert.is(s.connections[0]!.key, '10.1.1.1 50000 > 10.2.2.2 443');
});

test('RST closes; stray packets after a close are absorbed, a new SYN on the same ports is a new connection', async () => {
  const r = await run([
    ...HANDSHAKE,
    [10, 'c', PSH_ACK, 100],
    [20, 's', RST, 0],
    [21, 'c', PSH_ACK, 100],
    [22, 'c', ACK, 0],
    [400, 'c', SYN, 0],
    [401, 's', SYN_ACK, 0],
    [402, 'c', PSH_ACK, 7],
    ...CLOSE(500),
  ]);
  assert.equal(
    r.connections.map((c) => [c.sent, c.received, c.openedTick, c.closedTick]),
    [
      [100, 0, 0, 0],
      [7, 0, 4, 5],
    ],
  );
  assert.equal(r.w.stats.skipped(), { 'TCP payload after its connection closed (retransmissions)': 1 });
  assert.is(r.w.stats.payloadBytes, 207, 'the trace total still counts every payload byte');
});

test('an idle connection closes after the idle timeout; its next packet opens a new one', async () => {
  const r = await run([...HANDSHAKE, [10, 'c', PSH_ACK, 5], [5000, 'c', PSH_ACK, 6], [5100, 'c', PSH_ACK, 7]], { idleTimeoutMs: 2000 });
  // Closed at the end of tick 20 (last packet at 10 ms + 2 s); then nothing is alive until 5 s, so
  // that silence is cut and the new connection opens in tick 21.
  assert.equal(
    r.connections.map((c) => [c.sent, c.openedTick, c.closedTick]),
    [
      [5, 0, 20],
      [13, 21, 22],
    ],
  );
});

test('ids: unique among open connections, reused only after the tick that closed them', async () => {
  // Connection A closes in tick 0; B opens in tick 0 (must get another id); C opens in tick 1 (may reuse A's).
  const pk: Pkt[] = [
    [0, 'c', SYN, 0, 1],
    [1, 's', RST, 0, 1],
    [2, 'c', SYN, 0, 2],
    [150, 'c', SYN, 0, 3],
    [160, 'c', RST, 0, 2],
    [170, 'c', RST, 0, 3],
  ];
  const w = new CaptureWriter({ format: 'pcap' });
  for (const [t, , flags, payload, port] of pk) w.segment(T0 + t, CLIENT, SERVER, port!, 443, flags, payload);
  const file = join(dir, 'ids.pcap');
  writeFileSync(file, w.take(0));
  const { openTraceWorkload } = await import('../../src/trace/workload.js');
  const { createTickBatch } = await import('../../src/trace/batch.js');
  const src = await openTraceWorkload(file);
  const b = createTickBatch();
  await src.next(0, b);
  const tick0 = [...b.opened.id.subarray(0, b.opened.count)];
  assert.equal([...b.closed.id.subarray(0, b.closed.count)], [tick0[0]]);
  assert.is(new Set(tick0).size, 2);
  await src.next(1, b);
  assert.is(b.opened.count, 1);
  assert.is(b.opened.id[0], tick0[0], 'the id closed in tick 0 is free in tick 1');
  src.close();
});

test('timestamps that go back count at the latest time seen', async () => {
  const r = await run([...HANDSHAKE, [500, 'c', PSH_ACK, 10], [100, 'c', PSH_ACK, 20], [501, 's', PSH_ACK, 30]]);
  assert.equal(
    r.connections.map((c) => [c.sent, c.received]),
    [[30, 30]],
  );
  assert.is(r.w.stats.lastMs - r.w.stats.firstMs, 501);
});

test('silence with nothing alive is cut from the replay', async () => {
  const tenHours = 36_000_000;
  const r = await run([...HANDSHAKE, ...CLOSE(10), [tenHours, 'c', SYN, 0], [tenHours + 1, 's', RST, 0]]);
  assert.is(r.connections.length, 2);
  assert.ok(r.ticks < 100, `${r.ticks} ticks`);
  assert.ok(r.w.cutMs > tenHours - 10_000, `${r.w.cutMs} ms cut`);
});

test('memory follows the connections alive: 20,000 connections one after another keep a small table', async () => {
  const pk: Pkt[] = [];
  for (let i = 0; i < 20_000; i++) pk.push([i * 10, 'c', SYN, 0, 1024 + i], [i * 10 + 1, 'c', PSH_ACK, 10, 1024 + i], [i * 10 + 2, 's', RST, 0, 1024 + i]);
  const r = await run(pk, { lingerMs: 100 });
  assert.is(r.connections.length, 20_000);
  const flows = (r.w as unknown as { flows: { cap: number } }).flows;
  assert.ok(flows.cap <= 1024, `slot capacity ${flows.cap}`);
});

test.run();
