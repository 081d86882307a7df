// Staged walks (issue 12: the cascade's walks), compared in one process: the cascade of one
// interface at one size with each walk group size in turn (assembly/indexes/keyindex.ts, "staged
// walks"; group 1 walks one object at a time), rounds interleaved so a noisy machine hurts every
// size alike. Prints medians in CPU ns per object, the ratio to group 1, and the best as multiples
// of the memory floor (bench/memory-floor.ts).
//   node --expose-gc --import tsx bench/walks.ts [connections=1000000] [groups=1,32] [rounds=6]
import { OffloadTable, Reason, type TerminateBatch } from '../src/index.js';
import { keys, buildBatch } from './tree.js';
import { floor } from './memory-floor.js';

const size = Number(process.argv[2] ?? 1_000_000);
const groups = (process.argv[3] ?? '1,32').split(',').map(Number);
const rounds = Number(process.argv[4] ?? 6);
const k = keys(size);
const exportsOf = (t: OffloadTable) => (t as unknown as { core: { exports: { setWalkGroup(g: number): void } } }).core.exports;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const half = (k.shape.connections + k.shape.paths + k.shape.neighbors) / 2;

/** The workloads, run in this order on one table built per round and group size. */
const workloads: [name: string, objects: number][] = [
  ['terminate one interface (half)', half],
  ['complete that termination', half],
  ['terminate the other interface and complete (every object left)', half],
];

const times = new Map<string, number[]>();
let tableBytes = 0;
/**
 * CPU time (user + system, µs), not wall time: on a shared machine a process waits for a core as
 * long as it runs, and that wait, not the walk, would decide the figures.
 */
const time = (name: string, g: number, objects: number, fn: () => void) => {
  const t0 = process.cpuUsage();
  fn();
  const used = process.cpuUsage(t0);
  const key = `${name}|${g}`;
  if (!times.has(key)) times.set(key, []);
  times.get(key)!.push(((used.user + used.system) * 1000) / objects);
};
const gc = (globalThis as { gc?: () => void }).gc;
for (let r = 0; r < rounds; r++) {
  // Each round starts with another group size, and the previous table is collected first, so
  // neither the order nor the memory of earlier tables favours one size.
  for (const g of [...groups.slice(r % groups.length), ...groups.slice(0, r % groups.length)]) {
    gc?.();
    const t = OffloadTable.createSync();
    const b = buildBatch(t, k);
    tableBytes = t.memory().linearBytes;
    exportsOf(t).setWalkGroup(g);
    let batch: TerminateBatch | undefined;
    time(workloads[0]![0], g, half, () => {
      batch = t.terminateInterface(1, Reason.MediaDisconnect);
    });
    time(workloads[1]![0], g, half, () => void t.completeTerminate(batch!.handles));
    if (batch!.length !== half) throw new Error(`cascade of ${batch!.length}`);
    time(workloads[2]![0], g, half, () => void t.completeTerminate(t.terminateInterface(2, Reason.MediaDisconnect).handles));
    if (t.count(3) !== 0) throw new Error('connections left');
  }
  if (process.stderr.isTTY) process.stderr.write(`\rround ${r + 1}/${rounds}`);
}
if (process.stderr.isTTY) process.stderr.write('\n');
const fl = await floor(tableBytes, 'cpu');
console.log(
  `${size.toLocaleString('en-US')} connections (${(tableBytes / 2 ** 20).toFixed(0)} MiB), medians of ${rounds} interleaved rounds, CPU ns per object; ` +
    `floor (CPU time too) ${fl.probe.toFixed(2)} ns/random read, ${fl.chain.toFixed(2)} ns/dependent read`,
);
const columns = [...groups.map((g) => `group ${g}`), ...groups.slice(1).map((g) => `${g} vs 1`), 'best × random read', 'best × dependent read'];
console.log(`| workload | ${columns.join(' | ')} |`);
console.log(`| --- | ${columns.map(() => '---:').join(' | ')} |`);
for (const [name] of workloads) {
  const m = groups.map((g) => median(times.get(`${name}|${g}`)!));
  const best = Math.min(...m);
  const cells = [
    ...m.map((x) => x.toFixed(1)),
    ...m.slice(1).map((x) => `${(m[0]! / x).toFixed(2)}×`),
    (best / fl.probe).toFixed(1),
    (best / fl.chain).toFixed(2),
  ];
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
