// chimney-host compare [scenario.json] [--policies a,b,./mine.mjs] [--capacities ...] [--seed N]
//   [--json] [--report FILE.html] [--workers N] [--shard I/N] [--max-minutes N]

import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { assemble, formatTable, parseShard, planJobs, type CompareOutput, type JobResult } from '../sim/compare.js';
import { renderCompareReport } from '../sim/report.js';
import type { PolicySpec } from '../sim/scenario.js';
import { integer, list, problem, type CommandSpec } from './args.js';
import { costProblem, defaultWorkers, refuse, resolvePolicies, startCommand } from './load.js';
import { describe, runJobs } from './pool.js';
import { chooseSource } from './sources.js';
import { Progress } from './progress.js';

export const spec: CommandSpec = {
  name: 'compare',
  usage: '[scenario.json] [options]',
  summary: 'one workload under every policy and capacity, against the oracle (npm start)',
  description:
    'Runs one workload under every policy and capacity (same seed: identical arrivals and sizes) and\nmeasures each against the oracle. Prints a table (or JSON); exit 1 if a check failed.',
  options: [
    {
      name: '--policies',
      value: 'LIST',
      help: "policies to compare: eager, threshold, rebalance, ./my-policy.mjs (default: the scenario's compare.policies)",
      read: list('policy names or module paths'),
    },
    {
      name: '--capacities',
      value: 'LIST',
      help: "target capacities, connections (default: the scenario's compare.capacities)",
      read: (t) => {
        const items = list('capacities')(t);
        if (!Array.isArray(items)) return items;
        const bad = items.filter((x) => !/^\d+$/.test(x) || Number(x) > 100_000_000);
        return bad.length ? problem(`needs integers 0..100000000, got ${bad.map((b) => `'${b}'`).join(', ')}`) : items.map(Number);
      },
    },
    {
      name: '--trace',
      value: 'FILE',
      help: "replay a recorded trace (pcap, pcapng, Zeek conn.log) instead of the scenario's workload; the scenario still gives the target, the host's knobs and tickMs",
    },
    { name: '--seed', value: 'N', help: "the workload's seed (default: the scenario's)", read: integer(0, 2 ** 32 - 1) },
    { name: '--json', help: 'print the results as JSON (scenario, seed, connections, totalBytes, results[], oracle[]: see the README) instead of a table' },
    { name: '--report', value: 'FILE', help: 'also write a self-contained HTML report with charts' },
    { name: '--workers', value: 'N', help: 'worker threads (default: one per core; 1 runs in this thread)', read: integer(1, 256) },
    {
      name: '--shard',
      value: 'I/N',
      help: 'run only every N-th cell, starting at cell I (1-based); join the outputs with merge',
      read: (t) => {
        const s = parseShard(t);
        return typeof s === 'string' ? problem(s.replace(/^--shard /, '')) : s;
      },
    },
    { name: '--max-minutes', value: 'N', help: 'refuse runs estimated to take longer than this (default 30)', read: integer(1, 100_000) },
    { name: '--help', help: 'this help' },
  ],
};

export async function main(argv: string[]): Promise<number> {
  const start = startCommand(argv, spec);
  if (!start) return 0;
  const { args, problems, report, loaded } = start;
  const { scenario } = loaded;
  const fromCli = args.options['--policies'] as string[] | undefined;
  const specs: PolicySpec[] = fromCli
    ? fromCli.map((name) => scenario.compare.policies.find((p) => p.policy === name) ?? { policy: name })
    : scenario.compare.policies;
  const capacities = (args.options['--capacities'] as number[] | undefined) ?? scenario.compare.capacities;
  if (new Set(capacities).size !== capacities.length) problems.push('--capacities: a capacity is listed twice');
  const { policies, problems: policyProblems } = await resolvePolicies(specs, fromCli ? process.cwd() : dirname(loaded.path));
  problems.push(...policyProblems);
  const workers = (args.options['--workers'] as number | undefined) ?? defaultWorkers();
  const trace = args.options['--trace'] as string | undefined;
  const source = await chooseSource(scenario, loaded.cdf, trace);
  if ('problem' in source) problems.push(source.problem);
  // A trace's cost is not known before it is read; a scenario's is estimated.
  const cost = trace
    ? undefined
    : costProblem(
        loaded,
        Math.max(...capacities),
        Math.min(workers, policies.length * capacities.length + 1),
        (args.options['--max-minutes'] as number | undefined) ?? 30,
      );
  if (cost) problems.push(cost);
  if (problems.length || 'problem' in source) refuse(problems, 'Fix the problems above and try again.');

  const shard = args.options['--shard'] as { index: number; count: number } | undefined;
  const plan = { policies, capacities };
  const jobs = planJobs(plan, shard);
  const progress = new Progress();
  const done = new Float64Array(jobs.length);
  let finished = 0;
  const show = (text: string) => progress.update(done.reduce((s, x) => s + x, 0) / jobs.length, `compare: ${finished}/${jobs.length} runs done${text}`);
  const results: JobResult[] = await runJobs(jobs, {
    source: source.spec,
    setup: source.setup,
    workers,
    onProgress: (job, share) => {
      done[job] = share;
      show(`, running ${describe(jobs[job]!)}`);
    },
    onDone: (job) => {
      done[job] = 1;
      finished++;
      show('');
    },
  });
  progress.done();
  const out: CompareOutput = assemble({ scenario: source.name, seed: scenario.seed, plan, shard }, results);
  process.stdout.write(args.options['--json'] ? `${JSON.stringify(out, null, 2)}\n` : `${formatTable(out)}\n`);
  if (report !== undefined) {
    writeFileSync(report, renderCompareReport(out));
    if (!args.options['--json']) process.stdout.write(`\nreport: ${report}\n`);
  }
  return out.results.every((r) => r.check === 'ok' && r.nothingLost && r.conserved) ? 0 : 1;
}
