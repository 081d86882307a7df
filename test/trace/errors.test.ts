// Damaged input: each kind of damage gets its own TraceError code and the byte offset where it
// is, or (for a file that just stops) a warning and the packets before the cut. Never a crash, a
// hang or a huge allocation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceError, type TraceErrorCode } from '../../src/trace/errors.js';
import { summarizeTrace, type TraceSummary } from '../../src/trace/summary.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';
import { openTraceWorkload } from '../../src/trace/workload.js';
import type { CaptureLayout } from '../../src/trace/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-trace-err-'));
const CDF: [number, number][] = [
  [0, 0],
  [3000, 50],
  [30000, 100],
];
let files = 0;

function capture(layout: CaptureLayout, connections = 10): { file: string; bytes: Buffer; packets: number } {
  const file = join(dir, `c${files++}.${layout.format}`);
  const packets = writeSyntheticCapture(file, { connections, concurrency: 3, cdf: CDF, seed: 9 }, layout);
  return { file, bytes: readFileSync(file), packets };
}

function write(bytes: Uint8Array): string {
  const file = join(dir, `d${files++}`);
  writeFileSync(file, bytes);
  return file;
}

async function read(file: string): Promise<TraceSummary> {
  return summarizeTrace(await openTraceWorkload(file));
}

async function fails(file: string, code: TraceErrorCode, offset: number, message: RegExp): Promise<void> {
  try {
    await read(file);
  } catch (error) {
    if (!(error instanceof TraceError)) throw error;
    assert.is(error.code, code, error.message);
    assert.is(error.offset, offset, error.message);
    assert.match(error.message, message);
    return;
  }
  assert.unreachable(`read ${file} without an error`);
}

const test = suite('trace: damaged input');

test('not a trace: an empty file, random bytes, a too-short pcap header', async () => {
  await fails(write(new Uint8Array(0)), 'BadMagic', 0, /the file is empty/);
  await fails(write(Buffer.from('GIF89a........')), 'BadMagic', 0, /starts with bytes 47 49 46 38, which is not a pcap, pcapng or Zeek/);
  await fails(write(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0])), 'BadLength', 8, /inside the 24-byte pcap header/);
});

test('a gzip file too short to be a trace says so in gzip words, not "the file is empty"', async () => {
  // Regression: a 20-byte .gz of nothing was reported as an empty file.
  await fails(write(gzipSync(Buffer.alloc(0))), 'BadMagic', 0, /the gzip stream holds no bytes: not a pcap/);
  await fails(write(gzipSync(Buffer.from([0xd4, 0xc3]))), 'BadLength', 2, /the gzip stream holds only 2 bytes: not a pcap/);
  // The first 10 bytes of a gzip file: a header and no stream.
  await fails(write(gzipSync(Buffer.from('#fields ts')).subarray(0, 10)), 'BadMagic', 0, /the gzip stream is cut off after no bytes \(a truncated \.gz\?\)/);
});

test('pcap: an absurd snap length, an unknown link type, a record longer than the snap length allows', async () => {
  const { bytes } = capture({ format: 'pcap' });
  const snap = Buffer.from(bytes);
  snap.writeUInt32LE(0xfffffff0, 16);
  await fails(write(snap), 'BadSnapLength', 16, /snap length is 4,294,967,280 bytes at byte 16/);
  const link = Buffer.from(bytes);
  link.writeUInt32LE(147, 20);
  await fails(write(link), 'UnknownLinkType', 20, /link type 147 at byte 20/);
  const record = Buffer.from(bytes);
  // The third record: after the header (24) and two handshake records (16 + 54 each).
  const third = 24 + 2 * (16 + 54);
  record.writeUInt32LE(0x7fffffff, third + 8);
  await fails(write(record), 'BadLength', third, new RegExp(`record at byte ${third} says it holds 2,147,483,647 captured bytes`));
});

test('a truncated final record: a warning with its offset and the packets before it', async () => {
  for (const layout of [{ format: 'pcap' }, { format: 'pcapng' }] as CaptureLayout[]) {
    const { bytes, packets } = capture(layout);
    const cut = bytes.subarray(0, bytes.length - 30);
    const s = await read(write(cut));
    assert.is(s.packets, packets - 1);
    assert.match(s.warnings.join('\n'), /record at byte [\d,]+ runs past the end of the file/);
    // Cut inside a record header too.
    const s2 = await read(write(bytes.subarray(0, bytes.length - (layout.format === 'pcap' ? 54 + 5 : 66 + 5))));
    assert.is(s2.packets, packets - 1);
  }
});

test('pcapng: block lengths that lie, a bad byte-order magic', async () => {
  const { bytes } = capture({ format: 'pcapng' });
  // The first packet block follows the section header (28) and the interface (20).
  const epb = 28 + 20;
  const trailing = Buffer.from(bytes);
  const len = trailing.readUInt32LE(epb + 4);
  trailing.writeUInt32LE(len + 4, epb + len - 4);
  await fails(write(trailing), 'BadLength', epb, new RegExp(`block at byte ${epb} says it is ${len} bytes long at its start but ${len + 4} at its end`));
  const odd = Buffer.from(bytes);
  odd.writeUInt32LE(len + 2, epb + 4);
  await fails(write(odd), 'BadLength', epb, /a multiple of 4/);
  const huge = Buffer.from(bytes);
  huge.writeUInt32LE(0xfffffff0, epb + 4);
  await fails(write(huge), 'BadLength', epb, /says it is 4,294,967,280 bytes long/);
  const room = Buffer.from(bytes);
  room.writeUInt32LE(1000, epb + 20);
  await fails(write(room), 'BadLength', epb, /captured 1,000 bytes but has room for/);
  const bom = Buffer.from(bytes);
  bom.writeUInt32LE(0x12345678, 8);
  await fails(write(bom), 'BadByteOrder', 0, /byte-order magic 0x78563412/);
});

test('pcapng: an interface of an unknown link type: its packets are counted and skipped, with a warning', async () => {
  const { bytes, packets } = capture({ format: 'pcapng' });
  const b = Buffer.from(bytes);
  b.writeUInt16LE(147, 28 + 8);
  const s = await read(write(b));
  assert.is(s.packets, packets);
  assert.is(s.tcpPackets, 0);
  assert.equal(s.skipped, { 'link type 147 (not decoded)': packets });
  assert.match(s.warnings.join('\n'), /interface 1 has link type 147/);
});

test('a flood of interfaces is refused; a flood of odd sections keeps a short list of warnings', async () => {
  const { bytes } = capture({ format: 'pcapng' });
  const shb = bytes.subarray(0, 28);
  const idb = bytes.subarray(28, 48);
  const flood = Buffer.concat([shb, ...Array.from({ length: 65537 }, () => idb)]);
  await fails(write(flood), 'BadLength', 28 + 65536 * 20, /is interface number 65537 of its section/);
  const odd = Buffer.from(shb);
  odd.writeUInt16LE(7, 12); // version 7.0
  const s = await read(write(Buffer.concat([...Array.from({ length: 500 }, () => odd), bytes])));
  assert.is(s.warnings.length, 21);
  assert.match(s.warnings[20]!, /more warnings like these were left out/);
  assert.ok(s.packets > 0, 'the good section after them is read');
});

test('gzip: a corrupt stream is an error; a truncated one a warning', async () => {
  const { bytes, packets } = capture({ format: 'pcap' }, 40);
  const gz = gzipSync(bytes);
  const corrupt = Buffer.from(gz);
  for (let i = 100; i < 140; i++) corrupt[i] = corrupt[i]! ^ 0x55;
  try {
    await read(write(corrupt));
    assert.unreachable('read a corrupt gzip');
  } catch (error) {
    assert.instance(error, TraceError);
    assert.is((error as TraceError).code, 'Gzip');
    assert.match((error as Error).message, /the gzip stream is corrupt .* decompressed bytes, near byte/);
  }
  const s = await read(write(gz.subarray(0, gz.length >> 1)));
  assert.ok(s.packets > 0 && s.packets < packets, `${s.packets} of ${packets}`);
  assert.match(s.warnings.join('\n'), /gzip stream ends early/);
});

test.run();
