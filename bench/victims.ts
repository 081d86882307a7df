// Victim choice, core against reference, timed in the main thread's CPU time: bench/run.ts's
// victim workload (choose one victim for a priority-8 connection, terminate it, 1,000 times, one
// call each) on a freshly built table per round, the implementations interleaved.
//
//   node --expose-gc --import tsx bench/victims.ts [connections=1000000] [rounds=7] [warm=1000,0]
//
// `warm`: untimed calls of the same loop on each new table before the timed 1,000 (bench/run.ts
// uses 1,000; 0 is the workload as it was before, see BENCHMARKS.md, issue 12). Wall time on a
// shared 2-core machine is mostly time spent waiting for a core, and process.cpuUsage counts the
// GC and compiler threads too; the main thread's own run time (/proc/self/task/<pid>/schedstat,
// Linux) is the work of the calls themselves, so this script reports that next to wall time.
import { readFileSync } from 'node:fs';
import { OffloadTable, Reason } from '../src/index.js';
import { ReferenceTable } from '../src/reference/index.js';
import { keys, buildBatch, type AnyTable } from './tree.js';

const [connections = 1_000_000, rounds = 7] = process.argv.slice(2, 4).map(Number);
const warms = (process.argv[4] ?? '1000,0').split(',').map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (a full collection after each build keeps the previous table out of the timing)');

/** Milliseconds the main thread has run (Linux); NaN elsewhere. */
function mainThreadMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

type Loop = (t: AnyTable, n: number, reason: number) => void;
/**
 * bench/run.ts's victim loop, compiled afresh for each variant: one function shared by both tables
 * would have its optimized code thrown away at every switch between them, and so time the JIT.
 */
const victimLoop = (): Loop =>
  new Function('t', 'n', 'reason', 'const one = [0]; for (let i = 0; i < n; i++) { one[0] = t.chooseVictims(1, 8)[0]; t.terminate(one, reason); }') as Loop;

const k = keys(connections);
const variants = warms.flatMap((warm) =>
  (['core', 'reference'] as const).map((impl) => ({ impl, warm, loop: victimLoop(), cpu: [] as number[], wall: [] as number[] })),
);
for (let r = 0; r < rounds; r++) {
  if (process.stderr.isTTY) process.stderr.write(`\rround ${r + 1} of ${rounds}`);
  for (const v of variants) {
    const t = v.impl === 'core' ? OffloadTable.createSync() : ReferenceTable.createSync();
    buildBatch(t, k);
    gc();
    v.loop(t, v.warm, Reason.HigherPriority);
    const cpu = mainThreadMs();
    const wall = performance.now();
    v.loop(t, 1000, Reason.HigherPriority);
    v.wall.push(performance.now() - wall);
    v.cpu.push(mainThreadMs() - cpu);
  }
}
if (process.stderr.isTTY) process.stderr.write('\n');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
console.log(`victim choice at ${connections.toLocaleString('en-US')} connections, 1,000 victims per round, medians of ${rounds} rounds`);
console.log('| warm-up calls | table | main-thread CPU ms | wall ms | CPU: reference/core | wall: reference/core |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
for (const warm of warms) {
  const [core, ref] = variants.filter((v) => v.warm === warm);
  for (const v of [core!, ref!]) {
    const ratio =
      v.impl === 'core' ? ` ${(median(ref!.cpu) / median(core!.cpu)).toFixed(1)}x | ${(median(ref!.wall) / median(core!.wall)).toFixed(1)}x |` : ' | |';
    console.log(`| ${warm} | ${v.impl} | ${median(v.cpu).toFixed(2)} | ${median(v.wall).toFixed(2)} |${ratio}`);
  }
}
