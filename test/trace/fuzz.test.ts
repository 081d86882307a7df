// Mutated captures: flipped bytes, lying length and timestamp fields, truncations, spliced
// slices, gzip. Whatever the damage, reading ends with a summary or a TraceError, never another
// exception, and what it reports stays consistent. FUZZ_TRACE_RUNS sets the number of mutants
// (default 300), SEED replays a run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/util/random.js';
import { TraceError } from '../../src/trace/errors.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';
import { packageFiles, replay } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-fuzz-'));
const RUNS = Number(process.env.FUZZ_TRACE_RUNS ?? 300);
const SEED = Number(process.env.SEED ?? 12345);
const CDF: [number, number][] = [
  [0, 0],
  [2000, 50],
  [20000, 100],
];

function seeds(): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const [name, layout] of [
    ['pcap', { format: 'pcap' }],
    ['pcapng-be', { format: 'pcapng', littleEndian: false }],
    ['pcapng-opb', { format: 'pcapng', block: 'opb' }],
    ['sll2', { format: 'pcap', linkType: 276 }],
  ] as const) {
    const file = join(dir, name);
    writeSyntheticCapture(file, { connections: 12, concurrency: 4, cdf: CDF, seed: 3, ipv6Every: 2 }, layout);
    out.push({ name, bytes: readFileSync(file) });
  }
  for (const [pkg, suffix] of [
    ['golang-github-gopacket-gopacket-dev', 'le/test300.pcapng'],
    ['golang-github-gopacket-gopacket-dev', 'be/test202.pcapng'],
    ['python3-dpkt', 'examples/data/http.pcap'],
  ]) {
    const f = packageFiles(pkg!)?.find((p) => p.endsWith(suffix!));
    if (f) out.push({ name: suffix!, bytes: readFileSync(f) });
  }
  return out;
}

const INTERESTING = [0, 1, 3, 4, 11, 12, 0x7fffffff, 0x80000000, 0xffffffff, 0x0a0d0d0a, 0xa1b2c3d4, 65535, 65536, 262144];

function mutate(src: Buffer, random: () => number): Buffer {
  let b = Buffer.from(src);
  const pick = (n: number) => Math.floor(random() * n);
  const steps = 1 + pick(4);
  for (let s = 0; s < steps; s++) {
    switch (pick(6)) {
      case 0:
        for (let i = 0, k = 1 + pick(8); i < k; i++) b[pick(b.length)] = pick(256);
        break;
      case 1:
        if (b.length >= 4) b.writeUInt32LE(INTERESTING[pick(INTERESTING.length)]!, pick(b.length - 3));
        break;
      case 2:
        if (b.length >= 4) b.writeUInt32BE(INTERESTING[pick(INTERESTING.length)]!, pick(b.length - 3));
        break;
      case 3:
        b = b.subarray(0, pick(b.length + 1));
        break;
      case 4: {
        const a = pick(b.length),
          z = a + pick(200);
        b = Buffer.concat([b.subarray(0, z), b.subarray(a, z), b.subarray(z)]);
        break;
      }
      default: {
        const a = pick(b.length);
        b = Buffer.concat([b.subarray(0, a), b.subarray(Math.min(b.length, a + 1 + pick(100)))]);
      }
    }
  }
  return random() < 0.15 ? gzipSync(b) : b;
}

const test = suite('trace: fuzz');

test(`${RUNS} mutated captures: a summary or a TraceError, never a crash`, async () => {
  const random = seededRandom(SEED);
  const base = seeds();
  const outcomes: Record<string, number> = {};
  for (let run = 0; run < RUNS; run++) {
    const seed = base[run % base.length]!;
    const file = join(dir, `m${run}`);
    writeFileSync(file, mutate(seed.bytes, random));
    try {
      const r = await replay(file, { tickMs: 50, idleTimeoutMs: 2000 });
      const s = r.w.stats;
      assert.ok(s.connections <= s.tcpPackets, `run ${run} (${seed.name}): counts`);
      // Every record read is either a TCP packet or skipped for a reason (payload after a close
      // is a TCP packet whose bytes were not replayed, not a skipped record).
      const skipped = Object.entries(s.skipped()).reduce((a, [why, c]) => (why.startsWith('TCP payload after') ? a : a + c), 0);
      assert.is(s.tcpPackets + skipped, s.packets, `run ${run} (${seed.name}): records`);
      const moved = r.connections.reduce((a, c) => a + c.sent + c.received, 0);
      assert.ok(moved <= s.payloadBytes, `run ${run} (${seed.name}): ${moved} bytes replayed of ${s.payloadBytes}`);
      outcomes.read = (outcomes.read ?? 0) + 1;
    } catch (error) {
      if (!(error instanceof TraceError)) throw new Error(`run ${run} (${seed.name}, SEED=${SEED}): ${(error as Error).stack}`);
      assert.ok(error.message.length > 20);
      outcomes[error.code] = (outcomes[error.code] ?? 0) + 1;
    }
  }
  assert.ok((outcomes.read ?? 0) > RUNS / 10, `most mutants still read: ${JSON.stringify(outcomes)}`);
});

test.run();
