// Preload for A/B runs of `simulate` on a shared machine: makes os.loadavg() report an idle
// machine, so that builds from before `simulate --workers` (which chose the worker thread by the
// load average) take the worker path whatever else the machine is doing, like today's; and
// prints the main thread's own CPU time on stderr at exit (Linux: its task's utime + stime), the
// steadier figure when other processes share the cores.
//   node --import ./bench/quiet-loadavg.mjs dist/cli.js simulate scenarios/million.json
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

os.loadavg = () => [0, 0, 0];
syncBuiltinESMExports();

if (isMainThread)
  process.on('exit', () => {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    process.stderr.write(`main thread CPU ${((Number(fields[11]) + Number(fields[12])) / 100).toFixed(2)} s\n`);
  });
