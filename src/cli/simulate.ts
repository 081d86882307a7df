// chimney-host simulate [scenario.json] [--policy P] [--capacity N] [--seed N] [--json]
//   [--report FILE.html] [--workers N] [--max-minutes N]
// One run: the workload through the host with one policy, the oracle alongside. With two threads
// (the default on a machine of two cores or more), a worker thread generates the workload once,
// runs the oracle on it and streams the ticks to this thread (StreamedWorkload), and another runs
// the simulated target (TargetThread), when it can with the same figures: this thread then spends
// its time on the host and the core only; `--workers 1` runs everything here. Same figures either
// way. The load average does not decide it: the run's own previous invocation
// keeps it above 1 for a minute, and on a busy machine two threads still get more of the CPU than one.

import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { oracleFigures, oracleRatio, type RunResult } from '../sim/metrics.js';
import { renderRunReport } from '../sim/report.js';
import { runLab } from '../sim/run.js';
import { integer, type CommandSpec } from './args.js';
import { costProblem, defaultWorkers, makePolicy, refuse, resolvePolicies, startCommand } from './load.js';
import { Progress } from './progress.js';
import { chooseSource, openSource } from './sources.js';
import { StreamedWorkload } from './streamed-source.js';
import { TargetThread, TargetThreadFailed, threadable } from './target-thread.js';

export const spec: CommandSpec = {
  name: 'simulate',
  usage: '[scenario.json] [options]',
  summary: 'one run: a workload through the host with one policy, the oracle alongside',
  description:
    'Runs a scenario (default: the built-in scenarios/default.json) through HostStack and a simulated\ntarget with one offload policy, the oracle alongside, and prints what happened. Exit 1 if a check failed.',
  options: [
    { name: '--policy', value: 'P', help: 'eager (default), threshold, rebalance, or a module path such as ./my-policy.mjs' },
    { name: '--capacity', value: 'N', help: "the target's capacity, connections (default: the scenario's target.capacity)", read: integer(0, 100_000_000) },
    {
      name: '--trace',
      value: 'FILE',
      help: "replay a recorded trace (pcap, pcapng, Zeek conn.log) instead of the scenario's workload; the scenario still gives the target, the host's knobs and tickMs",
    },
    { name: '--seed', value: 'N', help: "override the scenario's seed (same seed, same result)", read: integer(0, 2 ** 32 - 1) },
    { name: '--json', help: 'print the result as JSON (no progress line)' },
    { name: '--report', value: 'FILE', help: 'also write a self-contained HTML report with charts' },
    {
      name: '--workers',
      value: 'N',
      help: 'threads (default: one per core): 2 or more generates the workload and runs the oracle on a worker thread, and the simulated target on another (unless it injects upload faults or has no latency); 1 runs everything in this thread',
      read: integer(1, 256),
    },
    { name: '--max-minutes', value: 'N', help: 'refuse runs estimated to take longer than this (default 30)', read: integer(1, 100_000) },
    { name: '--help', help: 'this help' },
  ],
};

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const gb = (v: number) => `${(v / 1e9).toFixed(2)} GB`;

function summary(r: RunResult, meta: { scenario: string; seed: number }): string {
  const lost = r.nothingLost
    ? `ok for all ${n(r.nothingLostDetail.checked)} terminated connections`
    : `FAILED for ${n(r.nothingLostDetail.failures)}, e.g. ${r.nothingLostDetail.firstFailures[0]}`;
  return [
    `chimney-host simulate: ${meta.scenario} (seed ${meta.seed}), policy ${r.policy} at capacity ${n(r.capacity)}: ${n(r.durationMs / 1000)} s simulated in ${(r.wallMs / 1000).toFixed(1)} s`,
    '',
    `  ${n(r.connections)} connections moved ${gb(r.totalBytes)}: ${gb(r.offloadedBytes)} offloaded (${pct(r.offloadRatio)}), ${gb(r.softwareBytes)} in software`,
    `  the oracle offloads ${r.oracle ? pct(r.oracle.offloadRatio) : '?'} at this capacity: this policy got ${pct(r.oracleRatio)} of that`,
    `  initiates ${n(r.initiates)} (${n(r.initiateFailures)} failed), terminations ${n(r.terminations)}: churn ${n(r.churnPerSecond)}/s (oracle ${n(r.oracle?.churnPerSecond ?? 0)}/s)`,
    `  wasted offloads ${n(r.wastedOffloads)}; time to offload p50 ${n(r.timeToOffloadMs.p50)} ms, p99 ${n(r.timeToOffloadMs.p99)} ms; peak ${n(r.peakOccupied)} of ${n(r.capacity)} on the target`,
    '',
    '  terminations by reason:',
    ...Object.entries(r.terminationsByReason).map(([k, v]) => `    ${k.padEnd(17)}${n(v).padStart(10)}`),
    `  terminations by kind: ${Object.entries(r.terminationsByKind)
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ')}`,
    '',
    `  nothing lost: ${lost}`,
    `  check(): ${r.check}`,
    `  bytes conserved (offloaded + software = all): ${r.conserved ? 'ok' : 'FAILED'}`,
    `  errors: ${r.errors.count ? `${n(r.errors.count)}, e.g. ${r.errors.first[0]}` : 'none'}`,
    `  speed: ${n(r.connections / (r.wallMs / 1000))} connection arrivals per second of wall time`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const start = startCommand(argv, spec);
  if (!start) return 0;
  const { args, problems, report, loaded } = start;
  const { scenario } = loaded;
  const name = (args.options['--policy'] as string | undefined) ?? 'eager';
  const specs = [scenario.compare.policies.find((p) => p.policy === name) ?? { policy: name }];
  const { policies, problems: policyProblems } = await resolvePolicies(specs, args.options['--policy'] ? process.cwd() : dirname(loaded.path));
  problems.push(...policyProblems);
  const capacity = (args.options['--capacity'] as number | undefined) ?? scenario.target.capacity;
  const trace = args.options['--trace'] as string | undefined;
  const source = await chooseSource(scenario, loaded.cdf, trace);
  if ('problem' in source) problems.push(source.problem);
  // A trace's cost is not known before it is read; a scenario's is estimated.
  const cost = trace ? undefined : costProblem(loaded, capacity, 1, (args.options['--max-minutes'] as number | undefined) ?? 30);
  if (cost) problems.push(cost);
  if (problems.length || 'problem' in source) refuse(problems, 'Fix the problems above and try again.');

  const progress = new Progress();
  const note = (line: string) => {
    progress.done();
    process.stderr.write(`chimney-host: ${line}\n`);
  };
  const apart = ((args.options['--workers'] as number | undefined) ?? defaultWorkers()) >= 2;
  const run = async (targetThread: boolean) => {
    const streamed = apart ? await StreamedWorkload.open(source.spec, { capacity, note }) : undefined;
    const result = await runLab({
      source: streamed ?? (await openSource(source.spec)),
      setup: source.setup,
      capacity,
      policy: await makePolicy(policies[0]!),
      oracle: !streamed,
      target: targetThread ? (options) => new TargetThread(options) : undefined,
      onProgress: (p) =>
        progress.update(Math.min(1, p.tick / p.ticks), `simulate: ${n(p.atMs / 1000)} s of ${n((p.ticks * scenario.tickMs) / 1000)} s simulated`),
    });
    if (streamed) {
      result.oracle = oracleFigures(streamed.oracle());
      result.oracleRatio = oracleRatio(result.offloadedBytes, result.oracle.offloadedBytes);
    }
    return result;
  };
  // The simulated target gets a thread of its own too, when it can have one with the same figures.
  const targetThread = apart && threadable({ latencyMs: source.setup.target.latencyMs, faults: source.setup.target.faults }) === undefined;
  let result: RunResult;
  try {
    result = await run(targetThread);
  } catch (error) {
    if (!(error instanceof TargetThreadFailed)) throw error;
    note(`${error.message}; running again with the target on this thread (same figures, slower)`);
    result = await run(false);
  }
  progress.done();
  result.policy = name;
  const meta = { scenario: source.name, seed: scenario.seed };
  process.stdout.write(args.options['--json'] ? `${JSON.stringify({ ...meta, ...result }, null, 2)}\n` : `${summary(result, meta)}\n`);
  if (report !== undefined) {
    writeFileSync(report, renderRunReport(result, meta));
    if (!args.options['--json']) process.stdout.write(`  report: ${report}\n`);
  }
  return result.check === 'ok' && result.nothingLost && result.conserved ? 0 : 1;
}
