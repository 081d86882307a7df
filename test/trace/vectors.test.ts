// Real captures written by other tools, as Debian installs them (.ci/run installs the packages;
// without them these tests are skipped with the reason printed). Expected numbers are what
// Wireshark's tools report: `capinfos -c FILE` for records, and for TCP
// `tshark -r FILE -Y tcp -T fields -e tcp.stream -e tcp.len` (packets, distinct streams, sum of
// tcp.len), tshark 4.0.17 on Debian 12. The last test re-runs tshark when it is installed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { summarizeTrace } from '../../src/trace/summary.js';
import { openTraceWorkload } from '../../src/trace/workload.js';
import { TraceError } from '../../src/trace/errors.js';
import { hasTshark, packageFiles, replay, skipReason, tshark, vector } from './helpers.js';

const GOPACKET = 'golang-github-gopacket-gopacket-dev';
const DPKT = 'python3-dpkt';
const PCAPFIX = 'pcapfix';

const test = suite('trace: real vectors');

async function summary(file: string) {
  return summarizeTrace(await openTraceWorkload(file));
}

/** Registers a test that needs `pkg`'s file `suffix`; skipped (with the reason printed) without it. */
function withVector(name: string, pkg: string, suffix: string, fn: (file: string) => Promise<void>) {
  const file = vector(pkg, suffix);
  if (file) test(name, () => fn(file));
  else test.skip(name);
}

// capinfos -c pcapgo/tests/{le,be}/testNNN.pcapng: records per file (test901: capinfos stops with
// an error at the section of version 2.0, after 1 record; gopacket's reader skips that section and
// returns 2; ours reads 3 records and skips the one in that section).
const PCAPNG_RECORDS: Record<string, number> = {
  test001: 4,
  test002: 0,
  test003: 0,
  test004: 4,
  test005: 4,
  test006: 5,
  test007: 1,
  test008: 4,
  test009: 2,
  test010: 4,
  test011: 4,
  test012: 4,
  test013: 0,
  test014: 0,
  test015: 0,
  test016: 4,
  test017: 0,
  test018: 4,
  test100: 5,
  test101: 4,
  test102: 5,
  test200: 0,
  test201: 4,
  test202: 8,
  test901: 3,
  test902: 1,
};

const gopacket = packageFiles(GOPACKET);
if (!gopacket) {
  skipReason(`${GOPACKET} is not installed (apt-get install ${GOPACKET}; .ci/run does)`);
  test.skip('pcapng test suite, both byte orders');
} else {
  test('pcapng test suite, both byte orders: every record read, same result in either order', async () => {
    let files = 0;
    for (const [name, records] of Object.entries(PCAPNG_RECORDS)) {
      const results: string[] = [];
      for (const order of ['le', 'be']) {
        const file = gopacket.find((f) => f.endsWith(`pcapgo/tests/${order}/${name}.pcapng`));
        if (!file) continue;
        files++;
        const s = await summary(file);
        assert.is(s.format, 'pcapng');
        assert.is(s.packets, records, `${order}/${name}: records`);
        results.push(JSON.stringify([s.packets, s.tcpPackets, s.skipped, s.durationMs]));
      }
      if (results.length === 2) assert.is(results[0], results[1], `${name}: little- and big-endian files agree`);
    }
    assert.ok(files >= 50, `found ${files} of the suite's files`);
  });
}

withVector('test901.pcapng: a section of an unknown version is skipped with a warning', GOPACKET, 'le/test901.pcapng', async (file) => {
  const s = await summary(file);
  assert.is(s.packets, 3);
  assert.equal(s.skipped, { 'IP but not TCP (UDP, ICMP, ESP, ...)': 2, 'packets in a pcapng section of an unknown version': 1 });
  assert.match(s.warnings.join('\n'), /section 2 at byte \d+ is pcapng version 2\.0/);
});

withVector('test902.pcapng: a 2^-8 s timestamp resolution', GOPACKET, 'le/test902.pcapng', async (file) => {
  const w = await openTraceWorkload(file);
  await summarizeTrace(w);
  // gopacket's test: time.Unix(1519128000, 195312500), i.e. 0x5a8bd840 + 50/256 s.
  assert.is(w.stats.firstMs, 1519128000195.3125);
});

withVector('test301.pcapng: the one-second HTTPS capture', GOPACKET, 'le/test301.pcapng', async (file) => {
  const s = await summary(file);
  // tshark: 276 TCP packets, 1 stream, tcp.len sum 875,960.
  assert.equal([s.packets, s.tcpPackets, s.connections, s.payloadBytes], [276, 276, 1, 875_960]);
  assert.ok(s.durationMs > 1000 && s.durationMs < 1100, `${s.durationMs} ms`);
  assert.is(s.bytes.initiator + s.bytes.responder, 875_960);
  const r = await replay(file);
  assert.is(r.connections.length, 1);
  assert.is(r.connections[0]!.sent + r.connections[0]!.received, 875_960);
  assert.ok(r.connections[0]!.received > r.connections[0]!.sent, 'the client downloads');
});

withVector('test300.pcapng', GOPACKET, 'le/test300.pcapng', async (file) => {
  const s = await summary(file);
  assert.equal([s.packets, s.tcpPackets, s.connections, s.payloadBytes], [32, 32, 1, 10_186]);
});

withVector('pcap: Ethernet (gopacket test_ethernet.pcap)', GOPACKET, 'pcap/test_ethernet.pcap', async (file) => {
  const s = await summary(file);
  assert.equal([s.format, s.packets, s.tcpPackets, s.connections, s.payloadBytes], ['pcap', 10, 10, 1, 450]);
});

withVector('pcap: BSD loopback (gopacket test_loopback.pcap)', GOPACKET, 'pcap/test_loopback.pcap', async (file) => {
  const s = await summary(file);
  assert.equal([s.packets, s.tcpPackets, s.connections, s.payloadBytes], [24, 24, 2, 56_331]);
});

withVector('pcap: UDP only is counted and skipped (gopacket test_dns.pcap)', GOPACKET, 'pcap/test_dns.pcap', async (file) => {
  const s = await summary(file);
  assert.equal([s.packets, s.tcpPackets, s.connections], [10, 0, 0]);
  assert.equal(Object.values(s.skipped), [10]);
});

withVector('dpkt http.pcap', DPKT, 'examples/data/http.pcap', async (file) => {
  const s = await summary(file);
  assert.equal([s.packets, s.tcpPackets, s.connections, s.payloadBytes], [43, 41, 2, 22_584]);
});

withVector('dpkt nb6-http.pcap: PPPoE read; L2TP tunnels inside UDP are not unwrapped', DPKT, 'examples/data/nb6-http.pcap', async (file) => {
  const s = await summary(file);
  // tshark: 30 TCP packets, 3 streams, 1,925 bytes, of which 10 packets, 1 stream and 463 bytes
  // are IPv6 inside L2TP inside UDP inside PPPoE. This reader does not open tunnels.
  assert.equal([s.packets, s.tcpPackets, s.connections, s.payloadBytes], [62, 20, 2, 1_462]);
});

withVector('pcapfix test.pcap', PCAPFIX, 'examples/test.pcap', async (file) => {
  const s = await summary(file);
  assert.equal([s.packets, s.tcpPackets, s.connections, s.payloadBytes], [28, 28, 2, 6_773]);
  assert.equal(s.warnings, []);
});

withVector('pcapfix test_damaged.pcap: the packets before the damage, and a warning with the offset', PCAPFIX, 'examples/test_damaged.pcap', async (file) => {
  const s = await summary(file);
  assert.is(s.packets, 1); // capinfos: 1 packet, then "an error occurred"
  assert.match(s.warnings.join('\n'), /record at byte 114 runs past the end of the file/);
});

withVector('pcapfix test_without_pcap_header.pcap: refused, naming the bytes found', PCAPFIX, 'examples/test_without_pcap_header.pcap', async (file) => {
  try {
    await openTraceWorkload(file);
    assert.unreachable('opened');
  } catch (error) {
    assert.instance(error, TraceError);
    assert.is((error as TraceError).code, 'BadMagic');
    assert.match((error as Error).message, /starts with bytes 00 00 00 00/);
  }
});

const crossChecked = [
  [GOPACKET, 'le/test301.pcapng'],
  [GOPACKET, 'be/test300.pcapng'],
  [GOPACKET, 'pcap/test_ethernet.pcap'],
  [GOPACKET, 'pcap/test_loopback.pcap'],
  [DPKT, 'examples/data/http.pcap'],
  [PCAPFIX, 'examples/test.pcap'],
] as const;
if (!hasTshark) {
  skipReason('tshark is not installed (apt-get install tshark): the live cross-check is skipped; the expected numbers above came from it');
  test.skip('tshark agrees');
} else {
  test('tshark agrees on TCP packets, connections and payload bytes', async () => {
    let checked = 0;
    for (const [pkg, suffix] of crossChecked) {
      const file = packageFiles(pkg)?.find((f) => f.endsWith(suffix));
      if (!file) continue;
      const s = await summary(file);
      assert.equal({ tcpPackets: s.tcpPackets, connections: s.connections, payloadBytes: s.payloadBytes }, tshark(file), file);
      checked++;
    }
    if (checked === 0) skipReason('no vector package is installed for the tshark cross-check');
  });
}

test.run();
