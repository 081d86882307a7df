// Every format variant and link type the reader claims, on captures written by CaptureWriter from
// a known synthetic workload: the connections and their bytes each way must come back exactly.
// When tshark is installed it reads the same files, as an independent check of the writer.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress } from '../../src/table/address.js';
import { writeSyntheticCapture, synthesize, type SyntheticConnection, type SyntheticOptions } from '../../src/trace/synthetic.js';
import { CaptureWriter, type CaptureLayout } from '../../src/trace/writer.js';
import { hasTshark, replay, skipReason, tshark } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-trace-'));
const CDF: [number, number][] = [
  [0, 0],
  [2000, 40],
  [20000, 80],
  [200000, 100],
];
const WORKLOAD: SyntheticOptions = { connections: 30, concurrency: 7, seed: 5, cdf: CDF, ipv6Every: 3, packetGapMs: 0.3 };

function truth(o: SyntheticOptions = WORKLOAD) {
  const conns: SyntheticConnection[] = [];
  synthesize(
    o,
    () => {},
    (c) => conns.push(c),
  );
  return conns.map((c) => `${formatAddress(c.client)} ${c.clientPort} > ${formatAddress(c.server)} ${c.serverPort}: ${c.sent}/${c.received}`).sort();
}
const EXPECTED = truth();

const LAYOUTS: [string, CaptureLayout][] = [
  ['pcap µs LE, Ethernet', { format: 'pcap' }],
  ['pcap ns BE, Ethernet', { format: 'pcap', littleEndian: false, nanoseconds: true }],
  ['pcap, 802.1Q', { format: 'pcap', vlanTags: 1 }],
  ['pcap, QinQ', { format: 'pcap', vlanTags: 2 }],
  ['pcap, raw IP (101)', { format: 'pcap', linkType: 101 }],
  ['pcapng, raw IPv4/IPv6 (228)', { format: 'pcapng', linkType: 228 }],
  ['pcap, Linux cooked (SLL, 113)', { format: 'pcap', linkType: 113 }],
  ['pcap, Linux cooked v2 (SLL2, 276)', { format: 'pcap', linkType: 276 }],
  ['pcap BE, BSD loopback (0)', { format: 'pcap', linkType: 0, littleEndian: false }],
  ['pcap, OpenBSD loopback (108)', { format: 'pcap', linkType: 108 }],
  ['pcap, IPv6 hop-by-hop header', { format: 'pcap', ipv6HopByHop: true }],
  ['pcap, snap length 74: headers only (payload counted from the IP header)', { format: 'pcap', snapLength: 74 }],
  ['pcapng LE, EPB', { format: 'pcapng' }],
  ['pcapng BE, EPB, ns', { format: 'pcapng', littleEndian: false, nanoseconds: true }],
  ['pcapng, 2^-20 s resolution', { format: 'pcapng', binaryResolution: 20 }],
  ['pcapng BE, if_tsoffset and ns', { format: 'pcapng', littleEndian: false, nanoseconds: true, tsOffsetSeconds: 1_600_000_000 }],
  ['pcapng BE, obsolete packet blocks', { format: 'pcapng', littleEndian: false, block: 'opb' }],
  ['pcapng, simple packet blocks (no timestamps)', { format: 'pcapng', block: 'spb' }],
];

const test = suite('trace: formats and link types');

async function check(file: string) {
  const r = await replay(file);
  const got = r.connections.map((c) => `${c.key}: ${c.sent}/${c.received}`).sort();
  assert.equal(got, EXPECTED);
  return r;
}

for (const [name, layout] of LAYOUTS) {
  test(name, async () => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.${layout.format}`);
    const packets = writeSyntheticCapture(file, WORKLOAD, layout);
    const r = await check(file);
    assert.is(r.w.stats.packets, packets);
    assert.is(r.w.format, layout.format);
    if (layout.block !== 'spb') assert.ok(Math.abs(r.w.stats.firstMs - (1_700_000_000_000 + 0.3)) < 0.001, `first packet at ${r.w.stats.firstMs}`);
    if (hasTshark) {
      const t = tshark(file);
      assert.is(t.tcpPackets, packets, 'tshark reads every packet as TCP');
      assert.is(t.connections, WORKLOAD.connections, 'tshark finds the same connections');
      assert.is(t.payloadBytes, r.w.stats.payloadBytes, 'tshark sums the same payload');
    }
  });
}
if (!hasTshark) skipReason('tshark is not installed: the format tests run without its cross-check');

test('pcapng: an impossible if_tsresol or if_tsoffset is a warning, and the packets still read in order', async () => {
  // The writer puts if_tsresol at byte 48 and if_tsoffset at byte 56 (section header 28 bytes,
  // interface block header 16, option header 4); the damage is patched in after writing.
  const file = join(dir, 'damaged-options.pcapng');
  writeSyntheticCapture(file, WORKLOAD, { format: 'pcapng', binaryResolution: 20, tsOffsetSeconds: 1 });
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.is(view.getUint16(44, true), 9, 'if_tsresol where the writer puts it');
  assert.is(view.getUint16(52, true), 14, 'if_tsoffset where the writer puts it');
  bytes[48] = 0xff; // 2^-127 s
  view.setBigInt64(56, 2n ** 62n, true);
  writeFileSync(file, bytes);
  const r = await check(file);
  assert.ok(
    r.w.warnings.some((w) => /if_tsresol 0xff/.test(w)),
    r.w.warnings.join('; '),
  );
  assert.ok(
    r.w.warnings.some((w) => /if_tsoffset 4611686018427388000 s .*ignored/.test(w)),
    r.w.warnings.join('; '),
  );
  // Read as microseconds with no offset: the first packet lands near 1.7e9 s * 2^20 / 10^6.
  assert.ok(r.w.stats.lastMs > r.w.stats.firstMs, 'packets keep distinct times');
});

test('gzip, several members, either format', async () => {
  for (const layout of [{ format: 'pcap' }, { format: 'pcapng', littleEndian: false }] as CaptureLayout[]) {
    const file = join(dir, `gz.${layout.format}.gz`);
    writeSyntheticCapture(file, WORKLOAD, layout, true);
    const plain = join(dir, `plain.${layout.format}`);
    writeSyntheticCapture(plain, WORKLOAD, layout);
    // A second member: the same bytes compressed in two pieces.
    const bytes = readFileSync(plain);
    writeFileSync(file, Buffer.concat([gzipSync(bytes.subarray(0, 1001)), gzipSync(bytes.subarray(1001))]));
    await check(file);
  }
});

test('pcapng: several sections and interfaces, unknown blocks skipped, ifIndex counted over the file', async () => {
  const w = new CaptureWriter({ format: 'pcapng' });
  const conns: SyntheticConnection[] = [];
  let n = 0;
  synthesize(
    WORKLOAD,
    (t, s, d, sp, dp, f, p) => {
      // A new section (with its own interface 0) every 50 packets; some unknown blocks between.
      if (++n % 50 === 0) w.section();
      if (n % 7 === 0) w.unknownBlock(0x80000001 + n, n % 13);
      w.segment(t, s, d, sp, dp, f, p);
    },
    (c) => conns.push(c),
  );
  const file = join(dir, 'sections.pcapng');
  writeFileSync(file, w.take(0));
  const r = await replay(file);
  assert.is(r.w.stats.packets, n);
  assert.equal(r.w.warnings, []);
  const ifs = new Set(r.connections.map((c) => c.ifIndex));
  assert.ok(ifs.size > 1 && Math.min(...ifs) >= 1, `interfaces ${[...ifs]}`);
  // Per connection, bytes still add up (a connection keeps its first interface).
  assert.is(
    r.connections.reduce((a, c) => a + c.sent + c.received, 0),
    conns.reduce((a, c) => a + c.sent + c.received, 0),
  );
});

test.run();
