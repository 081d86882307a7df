// What simulate's streamed workload costs and gains by chunk size and look-ahead (issue 9):
//   node bench/stream-chunks.mjs [scenario.json] [rounds] here 1/4 8/32 16/64 ...   (after npm run build)
// Each setting is one `simulate`-like run (eager, the scenario's capacity) in a child process:
// `here` generates the workload and runs the oracle on the main thread; C/A streams it from the
// worker thread in chunks of C ticks with at most A ticks in flight. Settings alternate, `rounds`
// times (default 3); prints each run and the medians of wall time, of the main thread's busy time
// (event-loop utilisation: waiting for the worker does not count), of its CPU time (Linux: the
// steadier figure on a shared machine) and of the largest number of ticks
// received and not yet read, with the packed size of the scenario's largest tick for the memory bound.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);

/** CPU time of this process's main thread alone (Linux: its task's utime + stime, 10 ms steps). */
function mainThreadCpuMs() {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const load = (p) => import(new URL(p, dist).href);

if (process.argv[2] === '--child') {
  const [, , , file, setting] = process.argv;
  const { readScenario } = await load('sim/scenario.js');
  const { parseCdf } = await load('sim/cdf.js');
  const { runLab } = await load('sim/run.js');
  const { policies } = await load('host/policies/index.js');
  const { openSource } = await load('cli/sources.js');
  const { StreamedWorkload } = await load('cli/streamed-source.js');
  const scenario = readScenario(JSON.parse(readFileSync(file, 'utf8')));
  const sizes = scenario.connections.flowSizes;
  const cdf = typeof sizes === 'string' ? parseCdf(readFileSync(new URL(`../scenarios/${sizes}.cdf`, import.meta.url), 'utf8')) : [];
  const spec = { kind: 'scenario', scenario, cdf };
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMs();
  let source;
  let most = 0;
  if (setting === 'here') source = await openSource(spec);
  else {
    const [chunkTicks, aheadTicks] = setting.split('/').map(Number);
    source = await StreamedWorkload.open(spec, { capacity: scenario.target.capacity, chunkTicks, aheadTicks, note: (m) => console.error(m) });
  }
  const r = await runLab({
    source,
    setup: scenario,
    policy: policies.eager.create(),
    oracle: setting === 'here',
    yieldEvery: async () => {
      if (source.buffered > most) most = source.buffered;
    },
  });
  const offloaded = setting === 'here' ? r.oracle.offloadedBytes : source.oracle().offloadedBytes;
  const busy = performance.eventLoopUtilization(elu);
  const cpuMs = mainThreadCpuMs() - cpu0;
  console.log(JSON.stringify({ wallMs: performance.now() - started, busyMs: busy.active, cpuMs, most, offloaded, policyBytes: r.offloadedBytes }));
  process.exit(0);
}

const args = process.argv.slice(2);
const file = args[0]?.endsWith('.json') ? args.shift() : fileURLToPath(new URL('../scenarios/million.json', import.meta.url));
const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 3;
const settings = args.length ? args : ['here', '1/4', '4/16', '8/32', '16/64', '32/128'];

{
  // The largest tick, packed: the memory each tick in flight may take.
  const { readScenario } = await load('sim/scenario.js');
  const { parseCdf } = await load('sim/cdf.js');
  const { SyntheticWorkload } = await load('sim/workload.js');
  const { createTickBatch } = await load('sim/tick-batch.js');
  const { packedTickBytes } = await load('sim/tick-pack.js');
  const scenario = readScenario(JSON.parse(readFileSync(file, 'utf8')));
  const w = new SyntheticWorkload(scenario, parseCdf(readFileSync(new URL(`../scenarios/${scenario.connections.flowSizes}.cdf`, import.meta.url), 'utf8')));
  const b = createTickBatch();
  let max = 0;
  let sum = 0;
  let n = 0;
  for (let t = 0, more = true; more; t++, n++) {
    more = w.next(t, b);
    const bytes = packedTickBytes(b);
    sum += bytes;
    max = Math.max(max, bytes);
  }
  console.log(`${scenario.name}: ${n} ticks, packed ${(sum / n / 1024).toFixed(0)} KiB a tick on average, ${(max / 1024).toFixed(0)} KiB at most`);
}

const runs = Object.fromEntries(settings.map((s) => [s, []]));
for (let round = 0; round < rounds; round++) {
  for (const s of settings) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file, s], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${s}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    runs[s].push(j);
    console.log(
      `round ${round + 1} ${s.padEnd(8)} wall ${(j.wallMs / 1000).toFixed(2)} s, main thread busy ${(j.busyMs / 1000).toFixed(2)} s, main thread CPU ${(j.cpuMs / 1000).toFixed(2)} s, ticks buffered at most ${j.most}${r.stderr ? ` (${r.stderr.trim()})` : ''}`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const same = new Set(Object.values(runs).flatMap((rs) => rs.map((r) => `${r.offloaded}/${r.policyBytes}`)));
console.log(
  `\nsetting   wall (median)  main busy (median)  main CPU (median)  buffered at most   [figures ${same.size === 1 ? 'identical in every run' : 'DIFFER'}]`,
);
for (const s of settings) {
  const rs = runs[s];
  console.log(
    `${s.padEnd(9)} ${(median(rs.map((r) => r.wallMs)) / 1000).toFixed(2).padStart(8)} s  ${(median(rs.map((r) => r.busyMs)) / 1000).toFixed(2).padStart(12)} s  ${(median(rs.map((r) => r.cpuMs)) / 1000).toFixed(2).padStart(12)} s  ${String(Math.max(...rs.map((r) => r.most))).padStart(10)} ticks`,
  );
}
