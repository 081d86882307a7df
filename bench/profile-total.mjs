// The CPU time in a V8 CPU profile (node --cpu-prof), idle time left out, and its largest self
// times: node bench/profile-total.mjs FILE.cpuprofile [top]. The main thread's profile is the file
// whose name ends in .0.NNN.cpuprofile (thread 0); a worker's are the others.
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
let idle = 0;
p.samples.forEach((id, i) => {
  const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
  const f = byId.get(id).callFrame;
  if (f.functionName === '(idle)') idle += dt;
  else {
    total += dt;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
});
console.log(`${file}: ${(total / 1000).toFixed(2)} s of CPU (idle ${(idle / 1000).toFixed(2)} s left out)`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 12)))
  console.log(`  ${(v / 1000).toFixed(2).padStart(6)} s  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
