// The policy lab's speed: one run of a scenario (default: scenarios/million.json) and where its time
// goes. Self time (a callee's time is not counted again in its caller) of:
//   workload  the synthetic WorkloadSource generating the ticks
//   oracle    the oracle alongside the run
//   core      OffloadTable calls (the Wasm core and its JS front end)
//   target    SimulatedTarget calls
//   host      everything else: HostStack, its connection engine and policy, the lab's loop
//
//   node --import tsx bench/lab.ts [scenario.json] [--policy eager] [--capacity N]
//
// Run it alone on the machine; compare figures within one run (the machine is shared and noisy).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { readScenario } from '../src/sim/scenario.js';
import { parseCdf } from '../src/sim/cdf.js';
import { SyntheticWorkload } from '../src/sim/workload.js';
import { Oracle } from '../src/sim/oracle.js';
import { runLab } from '../src/sim/run.js';
import { OffloadTable } from '../src/table/table.js';
import { SimulatedTarget } from '../src/target/simulated-target.js';
import { policies } from '../src/host/policies/index.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const policyName = flag('--policy') ?? 'eager';
const capacityArg = flag('--capacity');
const file = args[0] ?? fileURLToPath(new URL('../scenarios/million.json', import.meta.url));
const scenario = readScenario(JSON.parse(readFileSync(file, 'utf8')));
const sizes = scenario.connections.flowSizes;
const cdf = parseCdf(readFileSync(new URL(`../scenarios/${typeof sizes === 'string' ? sizes : 'websearch'}.cdf`, import.meta.url), 'utf8'));

/** Self time per label: a stack pauses the caller while a wrapped callee runs. */
const self: Record<string, number> = {};
const stack: { label: string; since: number }[] = [];
function enter(label: string): void {
  const now = performance.now();
  const top = stack.at(-1);
  if (top) self[top.label] = (self[top.label] ?? 0) + now - top.since;
  stack.push({ label, since: now });
}
function leave(): void {
  const now = performance.now();
  const top = stack.pop()!;
  self[top.label] = (self[top.label] ?? 0) + now - top.since;
  const parent = stack.at(-1);
  if (parent) parent.since = now;
}
/** Wraps every method of a prototype so that its self time counts under `label`. */
function profile(proto: object, label: string): void {
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (name === 'constructor' || typeof d.value !== 'function') continue;
    const f = d.value as (...a: unknown[]) => unknown;
    Object.defineProperty(proto, name, {
      ...d,
      value: function (this: unknown, ...a: unknown[]) {
        enter(label);
        try {
          return f.apply(this, a);
        } finally {
          leave();
        }
      },
    });
  }
}
profile(SyntheticWorkload.prototype, 'workload');
profile(Oracle.prototype, 'oracle');
profile(OffloadTable.prototype, 'core');
profile(SimulatedTarget.prototype, 'target');

const started = performance.now();
enter('host');
const r = await runLab({
  source: new SyntheticWorkload(scenario, cdf),
  setup: scenario,
  capacity: capacityArg === undefined ? undefined : Number(capacityArg),
  policy: policies[policyName]!.create(),
  oracle: true,
});
leave();
const wall = performance.now() - started;
const total = Object.values(self).reduce((a, b) => a + b, 0);
const row = (k: string) => `| ${k} | ${(self[k]! / 1000).toFixed(2)} s | ${((100 * self[k]!) / total).toFixed(0)}% |`;
console.log(
  `${scenario.name}: policy ${policyName}, capacity ${r.capacity.toLocaleString('en-US')}, ${r.connections.toLocaleString('en-US')} connections, ${(r.durationMs / 1000).toFixed(0)} s simulated`,
);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, node ${process.version}`);
console.log(
  `wall ${(wall / 1000).toFixed(2)} s (wrappers included), ${Math.round(r.connections / (wall / 1000)).toLocaleString('en-US')} connection arrivals per second; offload ratio ${(100 * r.offloadRatio).toFixed(1)}%, ${(100 * r.oracleRatio).toFixed(1)}% of the oracle; check ${r.check}, nothing lost ${r.nothingLost}, conserved ${r.conserved}`,
);
console.log('\n| part | self time | share |\n| --- | --- | --- |');
for (const k of ['workload', 'oracle', 'core', 'target', 'host']) console.log(row(k));
