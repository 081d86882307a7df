// `chimney-host trace` as a user runs it (the built CLI): the summary, --json with the fields
// the design fixes, --cdf in the scenarios' format, and exit 2 with the byte offset for a bad file.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCdf } from '../../src/sim/cdf.js';
import { writeSyntheticCapture } from '../../src/trace/synthetic.js';
import { vector } from '../trace/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chimney-trace-cli-'));
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const CDF = parseCdf(readFileSync(new URL('../../scenarios/hadoop.cdf', import.meta.url), 'utf8'));
const capture = join(dir, 'small.pcapng');
let sent = 0;
let received = 0;
const packets = writeSyntheticCapture(capture, { connections: 200, concurrency: 20, cdf: CDF, seed: 4, ipv6Every: 5 }, { format: 'pcapng' }, false, (c) => {
  sent += c.sent;
  received += c.received;
});

const test = suite('cli: trace');

test('--json: the fixed fields, with the numbers the capture was written with', () => {
  const r = run('trace', capture, '--json');
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal([j.format, j.packets, j.tcpPackets, j.connections, j.payloadBytes], ['pcapng', packets, packets, 200, sent + received]);
  assert.equal(j.bytes, { initiator: sent, responder: received });
  assert.type(j.durationMs, 'number');
  assert.equal(j.skipped, {});
  assert.ok(j.alive.peak >= 20 && j.alive.points.length > 0);
});

test('the summary for people, and --cdf writes a CDF a scenario can use', () => {
  const out = join(dir, 'flows.cdf');
  const r = run('trace', capture, '--cdf', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /200 TCP connections/);
  assert.match(r.out, /connections alive over time \(peak \d+\)/);
  assert.match(r.out, new RegExp(`flow-size CDF written to ${out}`));
  const cdf = parseCdf(readFileSync(out, 'utf8'));
  assert.equal(cdf[0], [0, 0]);
  assert.is(cdf[cdf.length - 1]![1], 100);
  for (let i = 1; i < cdf.length; i++) assert.ok(cdf[i]![0] > cdf[i - 1]![0] && cdf[i]![1] >= cdf[i - 1]![1], `point ${i} increases`);
});

test('--cdf is checked before the trace is read: a missing folder, the trace itself, a file that is not a CDF', () => {
  // Regression: an unwritable --cdf was found only after the whole trace had been read.
  const missing = run('trace', capture, '--cdf', join(dir, 'no-such-folder', 'flows.cdf'));
  assert.is(missing.code, 2);
  assert.match(missing.err, /--cdf: cannot write .*flows\.cdf \(its directory does not exist\)\nNothing was read\./);
  const before = readFileSync(capture);
  const self = run('trace', capture, '--cdf', capture);
  assert.is(self.code, 2);
  assert.match(self.err, /--cdf .* is the trace being read/);
  assert.ok(readFileSync(capture).equals(before), 'the capture is untouched');
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'my notes\n');
  const other = run('trace', capture, '--cdf', notes);
  assert.is(other.code, 2);
  assert.match(other.err, /--cdf: .*notes\.txt exists and is not a flow-size CDF: it would be overwritten/);
  assert.is(readFileSync(notes, 'utf8'), 'my notes\n');
  // An option where the file name belongs is the user's slip, not a file named '--json' (as
  // simulate's --report says): regression, it wrote the CDF to ./--json and printed no JSON.
  for (const option of ['--json', '--tick']) {
    const slip = spawnSync(process.execPath, [cli, 'trace', capture, '--cdf', option], { encoding: 'utf8', cwd: dir });
    assert.is(slip.status, 2, option);
    assert.match(slip.stderr, new RegExp(`--cdf needs a file name \\(got the option ${option}\\)`));
    assert.not.ok(existsSync(join(dir, option)), `no file named ${option}`);
  }
  // An earlier CDF is replaced.
  const again = join(dir, 'again.cdf');
  assert.is(run('trace', capture, '--cdf', again).code, 0);
  assert.is(run('trace', capture, '--cdf', again).code, 0);
});

test('a damaged file: exit 2, the byte offset, nothing on stdout', () => {
  const bytes = readFileSync(capture);
  bytes.writeUInt32LE(13, 28 + 4); // the interface block's length: not a multiple of 4
  const bad = join(dir, 'bad.pcapng');
  writeFileSync(bad, bytes);
  const r = run('trace', bad);
  assert.is(r.code, 2);
  assert.match(r.err, /the pcapng block at byte 28 says it is 13 bytes long/);
  assert.is(r.out, '');
});

test('bad arguments: exit 2 with the usage', () => {
  for (const args of [['trace'], ['trace', capture, '--tick', 'fast'], ['trace', capture, '--bogus'], ['trace', join(dir, 'missing.pcap')], ['trace', dir]]) {
    const r = run(...args);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.err, /chimney-host trace: /);
  }
  // The message states the range it enforces.
  const r = run('trace', capture, '--tick', '1e9');
  assert.is(r.code, 2);
  assert.match(r.err, /--tick needs a number of milliseconds above 0 and at most a year \(31536000000\), written as digits, got 1e9/);
});

test('simulate/compare --trace on a capture damaged past its start: exit 2 with the offset, not "a bug"', () => {
  const bytes = readFileSync(capture);
  // Walk the blocks to one in the middle and make its length lie.
  let p = 0;
  for (let i = 0; i < 400; i++) p += bytes.readUInt32LE(p + 4);
  bytes.writeUInt32LE(0x7ffffff0, p + 4);
  const bad = join(dir, 'damaged-late.pcapng');
  writeFileSync(bad, bytes);
  for (const args of [
    ['simulate', '--trace', bad],
    ['compare', '--trace', bad, '--capacities', '10', '--policies', 'eager', '--workers', '2'],
  ]) {
    const r = run(...args);
    assert.is(r.code, 2, `${args[0]}: ${r.err}`);
    assert.match(r.err, new RegExp(`the pcapng block at byte ${p.toLocaleString('en-US')} says it is`));
    assert.not.match(r.err, /This is a bug/);
  }
});

const http = vector('python3-dpkt', 'examples/data/http.pcap');
if (http) {
  test('simulate --trace on a real capture moves exactly the payload tshark counts', () => {
    const r = run('simulate', '--trace', http, '--json');
    assert.is(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.is(j.scenario, 'trace http.pcap');
    // tshark -r http.pcap -Y tcp -T fields -e tcp.len: 22,584 bytes in 2 streams.
    assert.is(j.totalBytes, 22_584);
    assert.is(j.offloadedBytes + j.softwareBytes, 22_584);
    assert.equal([j.connections, j.check, j.nothingLost], [2, 'ok', true]);
  });
} else {
  test.skip('simulate --trace on a real capture');
}

test.run();
