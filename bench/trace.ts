// Trace reading speed: packets per second read and assembled into a workload (pcap, pcapng,
// gzip), end to end from the file: `node --import tsx bench/trace.ts [--connections 40000]
// [--runs 5]`, after `npm run build` (it times the built dist/, as users run it). The captures are
// written once by scripts/write-capture.ts's generator into build/bench-trace/ (hadoop flow
// sizes, 5,000 connections at a time, 96-byte snap length).
//
// Each format is read --runs times in one process. Reported: the first run (cold: the code is
// still being optimized) and the median of the others, in packets per second of wall time and of
// CPU time (user + system of this process). On a shared machine CPU time is the steadier figure.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseCdf } from '../src/sim/cdf.js';
import { writeSyntheticCapture } from '../src/trace/synthetic.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const CONNECTIONS = Number(arg('--connections', '40000'));
const RUNS = Math.max(2, Number(arg('--runs', '5')));
const dir = new URL('../build/bench-trace/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const cdf = parseCdf(readFileSync(new URL('../scenarios/hadoop.cdf', import.meta.url), 'utf8'));

const { openTraceWorkload, createTickBatch } = (await import(
  new URL('../dist/trace/index.js', import.meta.url).href
)) as typeof import('../src/trace/index.js');

const cases = [
  { name: 'pcap', file: `pcap-${CONNECTIONS}.pcap`, layout: { format: 'pcap' as const, snapLength: 96 }, gzip: false },
  { name: 'pcapng', file: `pcapng-${CONNECTIONS}.pcapng`, layout: { format: 'pcapng' as const, snapLength: 96 }, gzip: false },
  { name: 'pcap.gz', file: `pcap-${CONNECTIONS}.pcap.gz`, layout: { format: 'pcap' as const, snapLength: 96 }, gzip: true },
];

const n = (v: number) => v.toLocaleString('en-US');
const m = (v: number) => `${(v / 1e6).toFixed(2)} M`;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| capture | packets | file | first run (wall / CPU) | median of the rest (wall / CPU) | CPU time per packet |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const c of cases) {
  const path = dir + c.file;
  if (!existsSync(path)) {
    process.stderr.write(`  writing ${path} ...\n`);
    writeSyntheticCapture(path, { connections: CONNECTIONS, concurrency: 5000, seed: 1, cdf }, c.layout, c.gzip);
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  let packets = 0;
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const w = await openTraceWorkload(path, { tickMs: 100 });
    const batch = createTickBatch();
    for (let tick = 0; await w.next(tick, batch); tick++);
    const s = (performance.now() - t0) / 1000;
    const u = process.cpuUsage(c0);
    packets = w.stats.packets;
    wall.push(packets / s);
    cpu.push(packets / ((u.user + u.system) / 1e6));
  }
  const rest = (a: number[]) => median(a.slice(1));
  console.log(
    `| ${c.name} | ${n(packets)} | ${(statSync(path).size / 1e6).toFixed(0)} MB | ${m(wall[0]!)} / ${m(cpu[0]!)} packets/s | ${m(rest(wall))} / ${m(rest(cpu))} packets/s | ${(1e9 / rest(cpu)).toFixed(0)} ns |`,
  );
}
