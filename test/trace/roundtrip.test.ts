// Round trip: a synthetic workload written as a capture (any format, byte order, link type,
// compression) and read back gives the same connections with the same bytes each way.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress } from '../../src/table/address.js';
import { parseCdf } from '../../src/sim/cdf.js';
import { writeSyntheticCapture, type SyntheticConnection } from '../../src/trace/synthetic.js';
import type { CaptureLayout } from '../../src/trace/writer.js';
import { replay } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-roundtrip-'));
const HADOOP = parseCdf(readFileSync(new URL('../../scenarios/hadoop.cdf', import.meta.url), 'utf8'));
let n = 0;

const layout: fc.Arbitrary<CaptureLayout> = fc.record({
  format: fc.constantFrom('pcap' as const, 'pcapng' as const),
  littleEndian: fc.boolean(),
  nanoseconds: fc.boolean(),
  linkType: fc.constantFrom(0, 1, 101, 108, 113, 228, 276),
  vlanTags: fc.integer({ min: 0, max: 2 }),
  ipv6HopByHop: fc.boolean(),
  block: fc.constantFrom('epb' as const, 'opb' as const),
});

const test = suite('trace: round trip');

test('written and read back: the same connections, the same bytes each way', async () => {
  await fc.assert(
    fc.asyncProperty(
      layout,
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer(),
      fc.boolean(),
      async (l, connections, concurrency, ipv6Every, seed, gzip) => {
        const file = join(dir, `r${n++}.${l.format}${gzip ? '.gz' : ''}`);
        const truth: SyntheticConnection[] = [];
        const packets = writeSyntheticCapture(file, { connections, concurrency, ipv6Every, seed, cdf: HADOOP, packetGapMs: 0.7 }, l, gzip, (c) =>
          truth.push(c),
        );
        const r = await replay(file, { tickMs: 10 });
        assert.is(r.w.stats.packets, packets);
        assert.is(r.w.stats.tcpPackets, packets);
        const want = truth
          .map((c) => `${formatAddress(c.client)} ${c.clientPort} > ${formatAddress(c.server)} ${c.serverPort}: ${c.sent}/${c.received}`)
          .sort();
        const got = r.connections.map((c) => `${c.key}: ${c.sent}/${c.received}`).sort();
        assert.equal(got, want);
        assert.is(
          r.w.stats.payloadBytes,
          truth.reduce((a, c) => a + c.sent + c.received, 0),
        );
      },
    ),
    { numRuns: 25, seed: Number(process.env.SEED ?? 7) },
  );
});

test.run();
