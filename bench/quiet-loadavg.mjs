// Preload for A/B runs of `simulate` on a shared machine: makes os.loadavg() report an idle
// machine, so that simulate takes its "a core is to spare" path (the workload and the oracle on a
// worker thread) whatever the other sessions on the machine are doing, in every build alike.
//   node --import ./bench/quiet-loadavg.mjs dist/cli.js simulate scenarios/million.json
import os from 'node:os';
import { syncBuiltinESMExports } from 'node:module';

os.loadavg = () => [0, 0, 0];
syncBuiltinESMExports();
