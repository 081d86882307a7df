// `npm run bench:scale`: the table at 4M, 16M and 33.5M connections (issue 13). For each size, in
// a fresh process (so peak RSS is that size's): build (bench shape, connections in batches of 1M),
// check(), record traffic for every connection then tick, tick alone, look up 1M random
// connections (findConnections), cascade-terminate everything (terminateAll) and complete it; the
// bytes of linear memory per connection and the process's peak RSS. Then, with --to-cap, a table
// filled until the 4 GiB cap refuses (OutOfMemory), then terminated completely.
// Options: --sizes 4194304,16777216 (default 2^22, 2^24, 2^25), --to-cap, --no-write.
// Rewrites the generated scale section of BENCHMARKS.md unless --no-write.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { OffloadTable, Kind, Reason, ErrorCode, encodeAddresses } from '../src/index.js';
import { buildScaleTree, pathSource, pathDestination, localPort } from './scale-tree.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const tty = process.stderr.isTTY;
const progress = (text: string) => {
  if (tty) process.stderr.write(`\r\x1b[K${text}`);
};
const ms = (from: number) => performance.now() - from;

interface Row {
  connections: number;
  buildMs: number;
  checkMs: number;
  trafficTickMs: number;
  tickMs: number;
  lookupNs: number;
  terminateMs: number;
  completeMs: number;
  bytesPerConnection: number;
  linearBytes: number;
  peakRssBytes: number;
  refused?: string;
}

/** One size, in this process: prints a Row as JSON on stdout. */
function one(connections: number, toCap: boolean): Row {
  const t = OffloadTable.createSync();
  let at = performance.now();
  buildScaleTree(t, connections, (done) => progress(`  ${connections.toLocaleString('en-US')}: built ${done.toLocaleString('en-US')} connections`));
  const buildMs = ms(at);
  const linearBytes = t.memory().linearBytes;
  at = performance.now();
  t.check();
  const checkMs = ms(at);
  const all = t.handles(Kind.Connection);
  t.tick(0);
  at = performance.now();
  t.recordTrafficBatch(all, new Uint32Array(all.length).fill(1000));
  t.tick(1000);
  const trafficTickMs = ms(at);
  at = performance.now();
  t.tick(2000);
  const tickMs = ms(at);
  // 1M lookups of random connections (keys built untimed).
  const sample = Math.min(1 << 20, connections);
  const sources: string[] = [];
  const destinations: string[] = [];
  const local = new Uint16Array(sample);
  const expect = new Float64Array(sample);
  let seed = 12345;
  for (let i = 0; i < sample; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const c = seed % connections;
    const p = Math.floor(c / 10);
    sources.push(pathSource(p));
    destinations.push(pathDestination(p));
    local[i] = localPort(c);
    expect[i] = all[c]!; // batches are offloaded in order into fresh slots: handle order = build order
  }
  const keys = {
    sources: encodeAddresses(sources),
    destinations: encodeAddresses(destinations),
    localPorts: local,
    remotePorts: new Uint16Array(sample).fill(443),
  };
  at = performance.now();
  const found = t.findConnections(keys);
  const lookupNs = (ms(at) * 1e6) / sample;
  for (let i = 0; i < sample; i++) if (found[i] !== expect[i]) throw new Error(`lookup ${i} found ${found[i]}, expected ${expect[i]}`);
  let refused: string | undefined;
  if (toCap) {
    // Fill to the cap with more connections on the same paths (other ports), then terminate all.
    const paths = t.handles(Kind.Path);
    const batch = 1 << 20;
    const parents = new Float64Array(batch);
    const ports = new Uint16Array(batch);
    let added = 0;
    for (let round = 0; ; round++) {
      for (let i = 0; i < batch; i++) {
        const c = round * batch + i;
        parents[i] = paths[c % paths.length]!;
        ports[i] = 1024 + Math.floor(c / paths.length);
      }
      try {
        t.completeOffload(t.offloadConnections(parents, ports, new Uint16Array(batch).fill(80)));
        added += batch;
        progress(`  to the cap: ${t.count(Kind.Connection).toLocaleString('en-US')} connections`);
      } catch (e) {
        // Whichever top comes first refuses the whole batch: the 4 GiB of linear memory
        // (OutOfMemory) or, at about 61 B per connection, the 2^26 objects of a kind (Capacity).
        const code = (e as { code?: string }).code;
        if (code !== ErrorCode.OutOfMemory && code !== ErrorCode.Capacity) throw e;
        refused = `${code} at ${t.count(Kind.Connection).toLocaleString('en-US')} connections, ${(t.memory().linearBytes / 2 ** 30).toFixed(2)} GiB`;
        break;
      }
    }
    t.check();
  }
  at = performance.now();
  const batchAll = t.terminateAll(Reason.PowerTransition);
  const terminateMs = ms(at);
  at = performance.now();
  t.completeTerminate(batchAll.handles);
  const completeMs = ms(at);
  for (const k of [Kind.Neighbor, Kind.Path, Kind.Connection]) if (t.count(k) !== 0) throw new Error('objects left after the cascade');
  t.check();
  progress('');
  return {
    connections,
    buildMs,
    checkMs,
    trafficTickMs,
    tickMs,
    lookupNs,
    terminateMs,
    completeMs,
    bytesPerConnection: linearBytes / connections,
    linearBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(refused ? { refused } : {}),
  };
}

if (arg('--one')) {
  console.log(JSON.stringify(one(Number(arg('--one')), args.includes('--to-cap'))));
} else {
  const sizes = (arg('--sizes') ?? `${2 ** 22},${2 ** 24},${2 ** 25}`).split(',').map(Number);
  const rows: (Row | { connections: number; error: string })[] = [];
  const started = Date.now();
  const runs: [number, boolean][] = sizes.map((n) => [n, false]);
  if (args.includes('--to-cap')) runs.push([sizes[sizes.length - 1]!, true]);
  for (const [n, toCap] of runs) {
    console.error(`scale: ${n.toLocaleString('en-US')} connections${toCap ? ', then to the 4 GiB cap' : ''} ...`);
    const r = spawnSync(
      process.execPath,
      ['--max-old-space-size=8192', '--import', 'tsx', new URL(import.meta.url).pathname, '--one', String(n), ...(toCap ? ['--to-cap'] : [])],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
    );
    if (r.status !== 0) {
      rows.push({
        connections: n,
        error: `the process ended with ${r.signal ?? `exit ${r.status}`} (free memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB total)`,
      });
      continue;
    }
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  const f = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `Machine: ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${f(totalmem() / 2 ** 30)} GiB, shared with other jobs (load varies: compare within a row); Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; \`npm run bench:scale${args.length ? ` -- ${args.join(' ')}` : ''}\` (${f((Date.now() - started) / 1000)} s).`,
    '',
    '| connections | build | check() | record traffic (all) + tick | tick alone | lookup (1M random) | terminateAll | completeTerminate | linear memory per connection | peak RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    if ('error' in r) {
      lines.push(`| ${f(r.connections)} | ${r.error} | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${f(r.connections)}${r.refused ? ` → cap: ${r.refused}` : ''} | ${f(r.buildMs / 1000, 1)} s | ${f(r.checkMs)} ms | ${f(r.trafficTickMs)} ms | ${f(r.tickMs)} ms | ${f(r.lookupNs)} ns each | ${f(r.terminateMs)} ms | ${f(r.completeMs)} ms | ${f(r.bytesPerConnection, 1)} B | ${f(r.peakRssBytes / 2 ** 30, 2)} GiB |`,
    );
  }
  const table = lines.join('\n');
  console.log(table);
  writeFileSync(new URL('scale-results.json', import.meta.url), JSON.stringify(rows, null, 2) + '\n');
  if (!args.includes('--no-write')) {
    const path = new URL('../BENCHMARKS.md', import.meta.url);
    const md = readFileSync(path, 'utf8');
    const start = '<!-- scale:start (generated by bench/scale.ts) -->';
    const end = '<!-- scale:end -->';
    const i = md.indexOf(start);
    const j = md.indexOf(end);
    const block = `${start}\n${table}\n${end}`;
    writeFileSync(path, i >= 0 && j > i ? md.slice(0, i) + block + md.slice(j + end.length) : `${md.trimEnd()}\n\n${block}\n`);
  }
}
