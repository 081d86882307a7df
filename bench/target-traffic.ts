// The simulated target's trafficBatch on the handle lists a host really passes: much the same
// handles in much the same order every tick (a few hundred dropped, inserted or swapped; 300 rows
// removed and added again, so rows move), against the same handles shuffled anew every tick, which
// defeats trafficBatch's look at the previous call's list: every entry pays that look and then the hash
// lookup (what a host passing handles in random order gets).
// Both in one process, interleaved; medians of 5. Prints ms per 600 ticks of 18,000 entries.
//
//   node --import tsx bench/target-traffic.ts
import { TcpColumns } from '../src/target/tcp-columns.js';
import { seededRandom } from '../src/util/random.js';

const ROWS = 20_000;
const ACTIVE = 18_000;
const TICKS = 600;
const random = seededRandom(9);
const handles = Array.from({ length: ROWS }, (_, i) => (1 + (i % 3)) * 2 ** 27 + i * 3 + 1);
const list = handles.slice(0, ACTIVE).sort(() => random() - 0.5);
const steady: Float64Array[] = [];
const shuffled: Float64Array[] = [];
const moved: number[][] = [];
for (let t = 0; t < TICKS; t++) {
  for (let k = 0; k < 200; k++) list.splice(Math.floor(random() * list.length), 1);
  for (let k = 0; k < 200; k++) list.splice(Math.floor(random() * list.length), 0, handles[Math.floor(random() * ROWS)]!);
  for (let k = 0; k < 100; k++) {
    const a = Math.floor(random() * list.length);
    const b = Math.min(list.length - 1, a + 1 + Math.floor(random() * 30));
    [list[a], list[b]] = [list[b]!, list[a]!];
  }
  steady.push(Float64Array.from(list));
  shuffled.push(Float64Array.from(list).sort(() => random() - 0.5));
  moved.push(Array.from({ length: 300 }, () => Math.floor(random() * ROWS)));
}
const bytes = new Float64Array(ACTIVE * 2).fill(100);

function run(lists: Float64Array[]): number {
  const t = new TcpColumns();
  for (const h of handles) t.add(h, 7, { sndUna: 0, sndNxt: 0, rcvNxt: 0 });
  let ms = 0;
  for (let k = 0; k < TICKS; k++) {
    const hs = lists[k]!;
    const started = performance.now();
    t.trafficBatch(hs, bytes, bytes);
    ms += performance.now() - started;
    for (const r of moved[k]!) {
      t.remove(handles[r]!);
      t.add(handles[r]!, 7, { sndUna: 0, sndNxt: 0, rcvNxt: 0 });
    }
  }
  return ms;
}

const times = { steady: [] as number[], shuffled: [] as number[] };
for (let r = 0; r < 5; r++) {
  times.steady.push(run(steady));
  times.shuffled.push(run(shuffled));
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(`trafficBatch, ${TICKS} ticks x ~${ACTIVE.toLocaleString('en-US')} entries, ${ROWS.toLocaleString('en-US')} rows held:`);
console.log(`  the host's steady order: ${median(times.steady).toFixed(0)} ms`);
console.log(`  shuffled every tick (hash lookups only): ${median(times.shuffled).toFixed(0)} ms`);
console.log(`  ratio ${(median(times.shuffled) / median(times.steady)).toFixed(2)}x`);
