// Two builds' main-thread CPU profiles side by side: node bench/profile-compare.mjs DIR_A DIR_B [regex ...]
// Each DIR holds the `node --cpu-prof --cpu-prof-dir=DIR` profiles of several runs of one build
// (only main-thread files, *.0.NNN.cpuprofile, are read). Prints, per function, the median over
// runs of its self samples in A and in B, and B - A; with regexes, only the functions they match.
//
// Samples, not the profile's time deltas: the profiler samples wall time, so on a loaded machine a
// stretch spent waiting for a core lands on whatever frame was current (one run here charged
// 10.6 s to steadyInside in a run of 8.8 s of main-thread CPU). Samples are taken while the thread
// runs, so their counts follow CPU time and compare across runs on a noisy machine (about 1 a ms).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dirA, dirB, ...patterns] = process.argv.slice(2);
if (!dirA || !dirB) {
  process.stderr.write('usage: node bench/profile-compare.mjs DIR_A DIR_B [regex ...]\n');
  process.exit(2);
}

/** Self samples by "function file" for each main-thread profile in `dir` (idle left out of TOTAL). */
function load(dir) {
  return readdirSync(dir)
    .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
      const self = new Map([['TOTAL (samples, idle left out)', 0]]);
      for (const id of p.samples) {
        const f = frames.get(id);
        const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
        self.set(key, (self.get(key) ?? 0) + 1);
        if (f.functionName !== '(idle)') self.set('TOTAL (samples, idle left out)', self.get('TOTAL (samples, idle left out)') + 1);
      }
      return self;
    });
}

const median = (values) => {
  const v = [...values].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

const a = load(dirA);
const b = load(dirB);
const keys = new Set([...a, ...b].flatMap((m) => [...m.keys()]));
const rows = [...keys]
  .map((k) => [k, median(a.map((m) => m.get(k) ?? 0)), median(b.map((m) => m.get(k) ?? 0))])
  .filter(([k, x, y]) => (patterns.length ? k.startsWith('TOTAL') || patterns.some((p) => new RegExp(p).test(k)) : Math.max(x, y) >= 50))
  .sort((x, y) => y[1] - x[1]);
console.log(`runs: A ${a.length}, B ${b.length}; median self samples per function\n${'A'.padStart(7)} ${'B'.padStart(7)} ${'B - A'.padStart(7)}`);
for (const [k, x, y] of rows) console.log(`${String(x).padStart(7)} ${String(y).padStart(7)} ${String(y - x).padStart(7)}  ${k}`);
