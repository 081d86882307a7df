// Group sizes of the core's grouped batch paths (assembly/indexes/keyindex.ts, "grouped lookups"), compared
// in one process: batch lookup and batch build at one size, each group size timed in turn, rounds
// interleaved so a noisy machine hurts every size alike. Prints medians and the ratio to group 1
// (keys one at a time, the path before grouping).
//   node --import tsx bench/groups.ts [connections=1000000] [groups=1,4,8,16,32] [rounds=5]
import { OffloadTable } from '../src/index.js';
import { keys, buildBatch } from './tree.js';

const size = Number(process.argv[2] ?? 1_000_000);
const groups = (process.argv[3] ?? '1,4,8,16,32').split(',').map(Number);
const rounds = Number(process.argv[4] ?? 5);
const k = keys(size);
const setGroup = (t: OffloadTable, g: number) => (t as unknown as { core: { exports: { setLookupGroup(g: number): void } } }).core.exports.setLookupGroup(g);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ns = (t0: bigint) => Number(process.hrtime.bigint() - t0) / size;

const lookupTable = OffloadTable.createSync();
const built = buildBatch(lookupTable, k);
const query = { sources: k.sources, destinations: k.destinations, localPorts: k.localPorts, remotePorts: k.remotePorts };
const lookup = new Map<number, number[]>(groups.map((g) => [g, []]));
const build = new Map<number, number[]>(groups.map((g) => [g, []]));
for (let r = 0; r < rounds; r++) {
  for (const g of groups) {
    setGroup(lookupTable, g);
    let t0 = process.hrtime.bigint();
    const found = lookupTable.findConnections(query);
    lookup.get(g)!.push(ns(t0));
    if (found[size - 1] !== built.connections[size - 1]) throw new Error('lookup found the wrong connection');
    const t = OffloadTable.createSync();
    setGroup(t, g);
    t0 = process.hrtime.bigint();
    buildBatch(t, k);
    build.get(g)!.push(ns(t0));
  }
  if (process.stderr.isTTY) process.stderr.write(`\rround ${r + 1}/${rounds}`);
}
if (process.stderr.isTTY) process.stderr.write('\n');
console.log(`${size.toLocaleString('en-US')} connections, medians of ${rounds} interleaved rounds (ns per connection)`);
console.log('| group | batch lookup | vs group 1 | batch build | vs group 1 |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
const l1 = median(lookup.get(groups[0]!)!);
const b1 = median(build.get(groups[0]!)!);
for (const g of groups) {
  const l = median(lookup.get(g)!);
  const b = median(build.get(g)!);
  console.log(`| ${g} | ${l.toFixed(1)} | ${(l1 / l).toFixed(2)}× | ${b.toFixed(1)} | ${(b1 / b).toFixed(2)}× |`);
}
