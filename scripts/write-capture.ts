// Writes a large synthetic capture for the trace benchmark and for trying `chimney-host trace`:
//   node --import tsx scripts/write-capture.ts OUT.pcap [--connections 100000] [--cdf websearch]
//     [--format pcap|pcapng] [--gzip] [--snap 96] [--concurrency 1000] [--ipv6-every 0] [--seed 1]
// Prints the connections, packets and payload bytes it wrote: what `chimney-host trace` must report.
import { readFileSync, statSync } from 'node:fs';
import { parseCdf } from '../src/sim/cdf.js';
import { writeSyntheticCapture } from '../src/trace/synthetic.js';

const args = process.argv.slice(2);
const out = args[0];
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
if (!out || out.startsWith('-')) {
  process.stderr.write(
    'usage: node --import tsx scripts/write-capture.ts OUT.pcap [--connections N] [--cdf websearch|hadoop|FILE.cdf] [--format pcap|pcapng] [--gzip] [--snap N] [--concurrency N] [--ipv6-every K] [--seed N]\n',
  );
  process.exit(2);
}
const cdfName = arg('--cdf', 'websearch');
const cdfFile = cdfName.endsWith('.cdf') ? cdfName : new URL(`../scenarios/${cdfName}.cdf`, import.meta.url);
const connections = Number(arg('--connections', '100000'));
const format = arg('--format', 'pcap') as 'pcap' | 'pcapng';
let sent = 0;
let received = 0;
let seen = 0;
const tty = process.stderr.isTTY;
const t0 = Date.now();
const packets = writeSyntheticCapture(
  out,
  {
    connections,
    concurrency: Number(arg('--concurrency', '1000')),
    seed: Number(arg('--seed', '1')),
    cdf: parseCdf(readFileSync(cdfFile, 'utf8')),
    ipv6Every: Number(arg('--ipv6-every', '0')),
  },
  { format, snapLength: Number(arg('--snap', '96')) },
  args.includes('--gzip'),
  (c) => {
    sent += c.sent;
    received += c.received;
    if (tty && ++seen % 10_000 === 0) process.stderr.write(`\r  ${seen.toLocaleString('en-US')} of ${connections.toLocaleString('en-US')} connections started`);
  },
);
if (tty) process.stderr.write('\r\x1b[K');
const n = (v: number) => v.toLocaleString('en-US');
process.stdout.write(
  `${out}: ${format}${args.includes('--gzip') ? ' (gzip)' : ''}, ${n(statSync(out).size)} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s\n` +
    `  ${n(connections)} connections, ${n(packets)} packets, ${n(sent + received)} payload bytes (${n(sent)} sent by clients, ${n(received)} by servers)\n`,
);
