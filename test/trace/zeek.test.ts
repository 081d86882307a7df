// Zeek conn.log: TSV with its #fields header and JSON lines, plain or gzip. Each TCP record is a
// connection whose bytes are spread evenly over its duration; other records are skipped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceError } from '../../src/trace/errors.js';
import { summarizeTrace } from '../../src/trace/summary.js';
import { openTraceWorkload } from '../../src/trace/workload.js';
import { replay } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-zeek-'));
let n = 0;
const file = (text: string | Buffer) => {
  const f = join(dir, `conn${n++}.log`);
  writeFileSync(f, text);
  return f;
};

// As Zeek 6 writes it (fields trimmed to the usual ones).
const TSV = `#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2024-01-01-00-00-00
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring
1700000000.000000\tCa1\t10.0.0.1\t50000\t10.0.0.2\t443\ttcp\tssl\t1.000000\t1000\t9000\tSF
1700000000.050000\tCa2\t10.0.0.1\t53000\t8.8.8.8\t53\tudp\tdns\t0.010000\t40\t80\tSF
1700000000.200000\tCa3\tfe80::1\t50001\tfe80::2\t80\ttcp\t-\t-\t-\t-\tS0
1700000000.100000\tCa4\t10.0.0.3\t50002\t10.0.0.4\t22\ttcp\tssh\t0.250000\t333\t0\tRSTO
#close\t2024-01-01-00-10-00
`;

const test = suite('trace: zeek conn.log');

test('TSV: TCP records become connections with their bytes spread over their duration', async () => {
  const r = await replay(file(TSV));
  assert.is(r.w.format, 'zeek');
  assert.equal(
    r.connections.map((c) => [c.key, c.sent, c.received, c.openedTick, c.closedTick]),
    [
      ['10.0.0.1 50000 > 10.0.0.2 443', 1000, 9000, 0, 9],
      ['10.0.0.3 50002 > 10.0.0.4 22', 333, 0, 1, 3],
      ['fe80::1 50001 > fe80::2 80', 0, 0, 2, 2],
    ],
  );
  assert.equal(r.w.stats.skipped(), { 'Zeek records that are not TCP (udp)': 1 });
});

test('bytes per tick follow the duration', async () => {
  const { openTraceWorkload: open } = await import('../../src/trace/workload.js');
  const { createTickBatch } = await import('../../src/trace/batch.js');
  const w = await open(file(TSV), { tickMs: 100 });
  const b = createTickBatch();
  const perTick: number[] = [];
  for (let t = 0; ; t++) {
    const more = await w.next(t, b);
    let s = 0;
    for (let i = 0; i < b.traffic.count; i++) if (b.traffic.sent[i]! + b.traffic.received[i]! >= 900) s += b.traffic.sent[i]! + b.traffic.received[i]!;
    perTick.push(s);
    if (!more) break;
  }
  // 10,000 bytes over 1 s at 100 ms ticks: 1,000 a tick.
  assert.equal(perTick.slice(0, 10), [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
});

test('JSON lines (epoch or ISO 8601 ts), gzip: the same as TSV', async () => {
  const json = [
    {
      ts: 1700000000.0,
      uid: 'Ca1',
      'id.orig_h': '10.0.0.1',
      'id.orig_p': 50000,
      'id.resp_h': '10.0.0.2',
      'id.resp_p': 443,
      proto: 'tcp',
      duration: 1.0,
      orig_bytes: 1000,
      resp_bytes: 9000,
    },
    {
      ts: '2023-11-14T22:13:20.100Z',
      'id.orig_h': '10.0.0.3',
      'id.orig_p': 50002,
      'id.resp_h': '10.0.0.4',
      'id.resp_p': 22,
      proto: 'tcp',
      duration: 0.25,
      orig_bytes: 333,
      resp_bytes: 0,
    },
    { ts: 1700000000.2, 'id.orig_h': 'fe80::1', 'id.orig_p': 50001, 'id.resp_h': 'fe80::2', 'id.resp_p': 80, proto: 'tcp' },
    { ts: 1700000000.05, 'id.orig_h': '10.0.0.1', 'id.orig_p': 53000, 'id.resp_h': '8.8.8.8', 'id.resp_p': 53, proto: 'udp' },
  ]
    .map((o) => JSON.stringify(o))
    .join('\n');
  const a = await summarizeTrace(await openTraceWorkload(file(json)));
  const b = await summarizeTrace(await openTraceWorkload(file(gzipSync(TSV))));
  for (const s of [a, b]) {
    assert.equal(
      [s.format, s.packets, s.tcpPackets, s.connections, s.payloadBytes, s.bytes.initiator, s.bytes.responder],
      ['zeek', 4, 3, 3, 10_333, 1333, 9000],
    );
    assert.is(s.durationMs, 1000);
  }
});

test('a bad record names its line and byte offset', async () => {
  const lines = TSV.split('\n');
  for (const [bad, message] of [
    [lines[8]!.replace('10.0.0.1', '10.0.0.999'), /line 9 \(byte \d+\) id\.orig_h: "10\.0\.0\.999" is not an IPv4 or IPv6 address/],
    [lines[8]!.replace('50000', '70000'), /line 9 .* has id\.orig_p 70000, not a port/],
    [lines[8]!.replace('1000\t9000', 'lots\t9000'), /line 9 .* has orig_bytes "lots", not a number/],
    // Regression: a ts of 1e300 stopped the replay's clock (trace ran for ever), and a duration of
    // 1e9 s was ticked through for minutes.
    [lines[8]!.replace('1700000000.000000', '1e300'), /line 9 .* has ts 1e300, past 2\^32 seconds/],
    [lines[8]!.replace('1.000000', '1000000000'), /line 9 .* has duration 1000000000 s, over 604,800 s \(7 days\)/],
  ] as const) {
    try {
      await openTraceWorkload(file([...lines.slice(0, 8), bad, ...lines.slice(9)].join('\n')));
      assert.unreachable('read a bad record');
    } catch (error) {
      assert.instance(error, TraceError);
      assert.is((error as TraceError).code, 'BadRecord');
      assert.match((error as Error).message, message);
      assert.is((error as TraceError).offset, lines.slice(0, 8).join('\n').length + 1);
    }
  }
  try {
    await openTraceWorkload(file('#fields\tts\tuid\n1\t2\n'));
    assert.unreachable('read a log without addresses');
  } catch (error) {
    assert.match((error as Error).message, /#fields header without id\.orig_h, id\.orig_p, id\.resp_h, id\.resp_p, proto: not a conn\.log/);
  }
});

test.run();
