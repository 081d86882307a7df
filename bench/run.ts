// `npm run bench`: every workload on the Wasm core and on the reference, in the same process, at
// 10k, 100k and 1M connections. Prints a table of medians, writes bench/results.json, and rewrites
// the generated part of BENCHMARKS.md. Options: --sizes 10000,100000 (default all three),
// --samples N (default 5), --only NAME (workloads whose name contains NAME), --groups 1,8,16 (also
// time batch lookup with each group size, core only, to compare group sizes in one run). A run
// with --only or --sizes prints but rewrites nothing unless --write is given.
import Benchmark from 'benchmark';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { OffloadTable, Kind, Reason } from '../src/index.js';
import { ReferenceTable } from '../src/reference/index.js';
import { keys, buildBatch, buildOneByOne, buildOneNeighbor, type AnyTable, type Built, type Keys } from './tree.js';
import { floor } from './memory-floor.js';

// Call fn and setup as functions (benchmark.js would otherwise inline their source and lose
// closures); setup then runs untimed before each cycle.
(Benchmark.support as { decompilation: boolean }).decompilation = false;

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = (arg('--sizes') ?? '10000,100000,1000000').split(',').map(Number);
const SAMPLES = Number(arg('--samples') ?? 5);
const ONLY = arg('--only');
const GROUPS = (arg('--groups') ?? '').split(',').filter(Boolean).map(Number);
const WRITE = args.includes('--write') || (!ONLY && !arg('--sizes'));
const CHURN_OPERATIONS = 1_000_000;
/** Bytes per connection for the traffic workload: every other connection busy (8 KiB), the rest quiet. */
const TRAFFIC = Uint32Array.from({ length: 1_000_000 }, (_, i) => (i % 2 ? 8192 : 10));

type Impl = 'core' | 'reference';
const create = (impl: Impl): AnyTable => (impl === 'core' ? OffloadTable.createSync() : ReferenceTable.createSync());

interface Workload {
  name: string;
  /** Run at this size only. */
  onlyAt?: number;
  /** Measure the core only (variants of a core workload). */
  coreOnly?: boolean;
  /** Objects the workload handles per run, for per-object costs. */
  objects: (k: Keys) => number;
  /** Untimed: a table in the state the workload starts from. */
  setup: (impl: Impl, k: Keys) => { t: AnyTable; built?: Built };
  /** Timed: one run. */
  run: (state: { t: AnyTable; built?: Built }, k: Keys) => void;
}

/** Setup: a tree built in one batch. */
const built = (impl: Impl, k: Keys) => {
  const t = create(impl);
  return { t, built: buildBatch(t, k) };
};
/** Setup: a tree built in one batch, and the tick clock started. */
const builtAndTicking = (impl: Impl, k: Keys) => {
  const s = built(impl, k);
  s.t.tick(0);
  return s;
};

/** Chooses the victim for a connection of priority 8 and terminates it, `n` times, one call each. */
function chooseAndTerminate(t: AnyTable, n: number): void {
  const one = [0];
  for (let i = 0; i < n; i++) {
    one[0] = t.chooseVictims(1, 8)[0]!;
    t.terminate(one, Reason.HigherPriority);
  }
}

const WORKLOADS: Workload[] = [
  {
    name: 'build, batch',
    objects: (k) => k.shape.connections,
    setup: (impl) => ({ t: create(impl) }),
    run: (s, k) => void buildBatch(s.t, k),
  },
  {
    name: 'build, one call per object',
    objects: (k) => k.shape.connections,
    setup: (impl) => ({ t: create(impl) }),
    run: (s, k) => void buildOneByOne(s.t, k),
  },
  {
    name: 'lookup every connection, batch',
    objects: (k) => k.shape.connections,
    setup: built,
    run: (s, k) => {
      const found = s.t.findConnections({ sources: k.sources, destinations: k.destinations, localPorts: k.localPorts, remotePorts: k.remotePorts });
      if (found[found.length - 1] !== s.built!.connections[found.length - 1]) throw new Error('lookup found the wrong connection');
    },
  },
  {
    name: 'cascade-terminate one interface (half) and complete',
    objects: (k) => (k.shape.connections + k.shape.paths + k.shape.neighbors) / 2,
    setup: built,
    run: (s, k) => {
      const b = s.t.terminateInterface(1, Reason.MediaDisconnect);
      s.t.completeTerminate(b.handles);
      if (b.length !== (k.shape.connections + k.shape.paths + k.shape.neighbors) / 2) throw new Error(`cascade of ${b.length}`);
    },
  },
  {
    name: 'record traffic for every connection (batch), then tick',
    objects: (k) => k.shape.connections,
    setup: builtAndTicking,
    run: (s, k) => {
      const c = s.built!.connections;
      s.t.recordTrafficBatch(c, TRAFFIC.subarray(0, c.length));
      const quiet = s.t.tick(1000, { thresholdBytesPerSecond: 4096, quietMs: 0 });
      if (quiet.length !== k.shape.connections / 2) throw new Error(`tick found ${quiet.length} quiet connections`);
    },
  },
  {
    name: 'tick alone (no traffic recorded)',
    objects: (k) => k.shape.connections,
    setup: builtAndTicking,
    run: (s) => void s.t.tick(1000),
  },
  {
    name: 'victim choice: choose and terminate 1,000, one call each',
    objects: () => 1000,
    // Untimed, the same 1,000 calls first (both tables). Every sample builds a new table, and for
    // the core that is a new Wasm instance whose exports are new functions: the JIT's code for
    // these calls, specialized on the previous sample's instance, is thrown away, so without the
    // warm-up the timed calls measured its recompilation rather than victim choice (BENCHMARKS.md,
    // issue 12). The reference's victims come from the same list, 1,000 further on.
    setup: (impl, k) => {
      const s = built(impl, k);
      chooseAndTerminate(s.t, 1000);
      return s;
    },
    run: (s) => chooseAndTerminate(s.t, 1000),
  },
  {
    name: 'cascade-terminate everything (terminateAll) and complete',
    objects: (k) => k.shape.connections + k.shape.paths + k.shape.neighbors,
    setup: built,
    run: (s) => void s.t.completeTerminate(s.t.terminateAll(Reason.PowerTransition).handles),
  },
  {
    name: 'one neighbor, 1M connections: build (batch)',
    onlyAt: 1_000_000,
    objects: () => 1_000_000,
    setup: (impl) => ({ t: create(impl) }),
    run: (s) => void buildOneNeighbor(s.t, 1_000_000),
  },
  {
    name: 'one neighbor, 1M connections: terminate it (one call)',
    onlyAt: 1_000_000,
    objects: () => 1_001_001,
    setup: (impl) => {
      const t = create(impl);
      return { t, built: buildOneNeighbor(t, 1_000_000) };
    },
    run: (s) => {
      const b = s.t.terminate(s.built!.neighbors, Reason.MediaDisconnect);
      if (b.length !== 1_001_001) throw new Error(`batch of ${b.length}`);
    },
  },
  {
    name: 'one neighbor, 1M connections: terminate and complete (two calls)',
    onlyAt: 1_000_000,
    objects: () => 1_001_001,
    setup: (impl) => {
      const t = create(impl);
      return { t, built: buildOneNeighbor(t, 1_000_000) };
    },
    run: (s) => void s.t.completeTerminate(s.t.terminate(s.built!.neighbors, Reason.MediaDisconnect).handles),
  },
  {
    name: 'churn: offload one, terminate one (1M calls)',
    objects: () => CHURN_OPERATIONS,
    setup: built,
    run: (s) => {
      const paths = s.built!.paths;
      const one = [0];
      // Four calls per connection: offload, complete its initiate, terminate it, complete that.
      for (let i = 0; i < CHURN_OPERATIONS / 4; i++) {
        one[0] = s.t.offloadConnection({ localPort: 65000, remotePort: 1 }, paths[i % paths.length]!);
        s.t.completeOffload(one);
        const b = s.t.terminate(one, Reason.LowActivity);
        s.t.completeTerminate(b.handles);
      }
    },
  },
];

/** Batch lookup with a chosen group size (keyindex.ts's lookupGroup), core only. */
for (const g of GROUPS) {
  WORKLOADS.push({
    name: `lookup every connection, batch, group ${g}`,
    coreOnly: true,
    objects: (k) => k.shape.connections,
    setup: (impl, k) => {
      const s = built(impl, k);
      (s.t as unknown as { core: { exports: { setLookupGroup(g: number): void } } }).core.exports.setLookupGroup(g);
      return s;
    },
    run: (s, k) => {
      const found = s.t.findConnections({ sources: k.sources, destinations: k.destinations, localPorts: k.localPorts, remotePorts: k.remotePorts });
      if (found[found.length - 1] !== s.built!.connections[found.length - 1]) throw new Error('lookup found the wrong connection');
    },
  });
}

if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: node --expose-gc --import tsx bench/run.ts [options]   (npm run bench builds first and runs all)

Every workload on the Wasm core and on the reference, in one process; medians of benchmark.js samples.

  --sizes 10000,100000    table sizes in connections (default 10000,100000,1000000)
  --samples N             samples per workload and implementation (default 5)
  --only NAME             only the workloads whose name contains NAME
  --groups 1,16,32        also batch lookup with each group size (core only)
  --write                 rewrite bench/results.json and BENCHMARKS.md after a partial run

Workloads: ${WORKLOADS.map((w) => w.name).join('; ')}`);
  process.exit(0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median seconds per run of one workload on one implementation, measured by benchmark.js. */
function measure(w: Workload, impl: Impl, k: Keys): number {
  let state: ReturnType<Workload['setup']> | undefined;
  const bench = new Benchmark(`${w.name} ${impl}`, () => w.run(state!, k), {
    setup: () => {
      state = w.setup(impl, k);
    },
    // One run per cycle: every run needs its own fresh state, so count must stay 1.
    minTime: 1e-7,
    initCount: 1,
    minSamples: SAMPLES,
    maxTime: 0.5,
  });
  bench.run();
  if (bench.error) throw bench.error;
  return median(bench.stats.sample);
}

/** Linear memory per connection (core) and heap growth per connection (reference, forced GC). */
function memory(k: Keys): { core: number; reference: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  const core = OffloadTable.createSync();
  buildBatch(core, k);
  const coreBytes = core.memory().linearBytes;
  gc();
  const before = process.memoryUsage().heapUsed;
  const ref = ReferenceTable.createSync();
  buildBatch(ref, k);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (ref.count(Kind.Connection) !== k.shape.connections) throw new Error('reference build incomplete');
  return { core: coreBytes / k.shape.connections, reference: (after - before) / k.shape.connections };
}

interface Row {
  size: number;
  workload: string;
  objects: number;
  coreMs: number;
  referenceMs: number;
  coreOpsPerSecond: number;
  referenceOpsPerSecond: number;
  speedup: number;
  coreNsPerObject: number;
  floorMultiple: number;
  chainMultiple: number;
}

const rows: Row[] = [];
const memoryRows: { size: number; coreBytesPerConnection: number; referenceBytesPerConnection: number; ratio: number }[] = [];
const floors: { size: number; bytes: number; probeNs: number; chainNs: number; scanNs: number }[] = [];
const started = Date.now();

for (const size of SIZES) {
  const k = keys(size);
  const m = memory(k);
  memoryRows.push({ size, coreBytesPerConnection: m.core, referenceBytesPerConnection: m.reference, ratio: m.reference / m.core });
  const fl = await floor(Math.round(m.core * size));
  floors.push({ size, bytes: Math.round(m.core * size), probeNs: fl.probe, chainNs: fl.chain, scanNs: fl.scan });
  console.log(
    `\n${size.toLocaleString('en-US')} connections: core ${m.core.toFixed(1)} B/connection (linear memory, all in), ` +
      `reference ${m.reference.toFixed(0)} B/connection (heap); floor ${fl.probe.toFixed(2)} ns/random read, ${fl.chain.toFixed(2)} ns/dependent read, ${fl.scan.toFixed(3)} ns/sequential read`,
  );
  for (const w of WORKLOADS) {
    if ((ONLY && !w.name.includes(ONLY)) || (w.onlyAt && w.onlyAt !== size)) continue;
    const core = measure(w, 'core', k);
    const reference = w.coreOnly ? NaN : measure(w, 'reference', k);
    const objects = w.objects(k);
    const row: Row = {
      size,
      workload: w.name,
      objects,
      coreMs: core * 1e3,
      referenceMs: reference * 1e3,
      coreOpsPerSecond: objects / core,
      referenceOpsPerSecond: objects / reference,
      speedup: reference / core,
      coreNsPerObject: (core * 1e9) / objects,
      floorMultiple: (core * 1e9) / objects / fl.probe,
      chainMultiple: (core * 1e9) / objects / fl.chain,
    };
    rows.push(row);
    console.log(
      `  ${w.name.padEnd(54)} core ${row.coreMs.toFixed(2).padStart(9)} ms  reference ${row.referenceMs.toFixed(2).padStart(9)} ms  ` +
        `${row.speedup.toFixed(1).padStart(5)}x  ${row.coreNsPerObject.toFixed(1).padStart(7)} ns/object = ${row.floorMultiple.toFixed(1)} random reads = ${row.chainMultiple.toFixed(2)} dependent reads`,
    );
  }
}

if (!WRITE) {
  console.log('\npartial run (--only or --sizes): nothing rewritten; add --write to rewrite results');
  process.exit(0);
}
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  seconds: Math.round((Date.now() - started) / 1000),
};
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify({ machine, memory: memoryRows, floor: floors, rows }, null, 2) + '\n');

// The generated part of BENCHMARKS.md, between its markers.
const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const table = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; ${machine.date}; \`${machine.command}\` (${machine.seconds} s). ` +
    `Medians of ${SAMPLES}+ benchmark.js samples; core and reference measured in the same process.`,
  '',
  '| connections | workload | core ms | reference ms | core/reference speed | core objects/s | core ns/object | × random read | × dependent read |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.size.toLocaleString('en-US')} | ${r.workload} | ${fmt(r.coreMs, 2)} | ${fmt(r.referenceMs, 2)} | **${fmt(r.speedup)}×** | ${fmt(r.coreOpsPerSecond, 0)} | ${fmt(r.coreNsPerObject)} | ${fmt(r.floorMultiple)} | ${fmt(r.chainMultiple, 2)} |`,
  ),
  '',
  '| connections | core linear memory per connection (all in) | reference heap per connection | reference/core |',
  '| ---: | ---: | ---: | ---: |',
  ...memoryRows.map(
    (m) => `| ${m.size.toLocaleString('en-US')} | ${fmt(m.coreBytesPerConnection)} B | ${fmt(m.referenceBytesPerConnection, 0)} B | ${fmt(m.ratio)}× |`,
  ),
  '',
  '| connections | buffer (table size) | floor: random u32 read | floor: dependent random read | floor: sequential u32 read |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...floors.map(
    (f) => `| ${f.size.toLocaleString('en-US')} | ${fmt(f.bytes / 2 ** 20)} MiB | ${fmt(f.probeNs, 2)} ns | ${fmt(f.chainNs, 2)} ns | ${fmt(f.scanNs, 3)} ns |`,
  ),
].join('\n');
const path = new URL('../BENCHMARKS.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const start = '<!-- results:start (generated by bench/run.ts) -->';
const end = '<!-- results:end -->';
const at = doc.indexOf(start);
const until = doc.indexOf(end);
if (at < 0 || until < 0) throw new Error('BENCHMARKS.md lost its results markers');
writeFileSync(path, `${doc.slice(0, at + start.length)}\n${table}\n${doc.slice(until)}`);
console.log(`\nwrote bench/results.json and the results section of BENCHMARKS.md (${machine.seconds} s)`);
