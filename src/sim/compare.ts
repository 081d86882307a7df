// compare: one workload under every policy and capacity, against the oracle.
//
// The sweep is a list of jobs: one per cell (policy x capacity) and one for the oracle (every
// capacity in one pass). Jobs are independent and deterministic (same seed, same workload in each),
// so they can run in any order, on any number of worker threads, or split across machines:
// `--shard I/N` keeps cells I-1, I-1+N, I-1+2N, ... (and every shard runs the cheap oracle), and
// `merge` joins the shards' JSON into the same JSON one run would have printed.
// Browser-safe: the worker pool lives in src/cli/.

import type { OffloadPolicy } from '../host/policy.js';
import { oracleRatio, type RunResult } from './metrics.js';
import { runOracle, type OracleResult, type OracleSummary } from './oracle.js';
import { runLab, type RunSetup } from './run.js';
import type { PolicySpec } from './scenario.js';
import type { WorkloadSource } from './source.js';

export interface ComparePlan {
  policies: PolicySpec[];
  capacities: number[];
}

export type Job = { kind: 'cell'; cell: number; policy: PolicySpec; capacity: number } | { kind: 'oracle'; capacities: number[] };

/** A policy's column name: what the user wrote (a built-in's name or a module path). */
export const policyLabel = (p: PolicySpec): string => p.policy;

/** Every cell, policy-major (the table's order), numbered. */
export function planJobs(plan: ComparePlan, shard?: Shard): Job[] {
  const jobs: Job[] = [{ kind: 'oracle', capacities: plan.capacities }];
  let cell = 0;
  for (const policy of plan.policies) {
    for (const capacity of plan.capacities) {
      if (!shard || cell % shard.count === shard.index - 1) jobs.push({ kind: 'cell', cell, policy, capacity });
      cell++;
    }
  }
  return jobs;
}

/**
 * The order to start jobs in on a pool of workers: the costliest first (longest processing time
 * first), so that no worker starts a long cell while the others are about to go idle. A cell's cost
 * grows with its capacity (the target's per-tick work is per connection held); the oracle, one
 * cheap pass for every capacity, goes last. Results do not depend on the order.
 */
export function runOrder(jobs: readonly Job[]): number[] {
  const cost = (j: Job) => (j.kind === 'oracle' ? -1 : j.capacity);
  return jobs.map((_, i) => i).sort((a, b) => cost(jobs[b]!) - cost(jobs[a]!) || a - b);
}

/** `--shard I/N`: this is shard I (1..N) of N. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "I/N"; undefined and a reason when it is not one. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  if (!m) return `--shard needs I/N with 1 <= I <= N (e.g. 2/8, as a Slurm array task or a Kubernetes indexed Job gives), got "${text}"`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return `--shard needs I/N with 1 <= I <= N, got "${text}"`;
  return { index, count };
}

/** What a job produced. */
export type JobResult = { kind: 'cell'; cell: number; result: RunResult } | { kind: 'oracle'; summary: OracleSummary };

export interface JobContext {
  /** A fresh copy of the workload (every job reads it from tick 0). */
  source(): WorkloadSource | Promise<WorkloadSource>;
  setup: RunSetup;
  makePolicy(spec: PolicySpec): Promise<OffloadPolicy>;
  onProgress?: (p: { tick: number; ticks: number }) => void;
}

export async function runJob(job: Job, ctx: JobContext): Promise<JobResult> {
  const source = await ctx.source();
  if (job.kind === 'oracle') return { kind: 'oracle', summary: await runOracle(source, job.capacities) };
  const policy = await ctx.makePolicy(job.policy);
  const result = await runLab({ source, setup: ctx.setup, capacity: job.capacity, policy, onProgress: ctx.onProgress });
  result.policy = policyLabel(job.policy);
  return { kind: 'cell', cell: job.cell, result };
}

/** The result fields `compare --json` promises (the design), first and in this order. */
export type CompareRow = Pick<
  RunResult,
  | 'policy'
  | 'capacity'
  | 'offloadedBytes'
  | 'softwareBytes'
  | 'offloadRatio'
  | 'oracleRatio'
  | 'initiates'
  | 'terminations'
  | 'churnPerSecond'
  | 'wastedOffloads'
  | 'check'
  | 'nothingLost'
> &
  Omit<RunResult, 'timeline'> & { cell: number; timeline: RunResult['timeline'] };

export interface CompareOutput {
  scenario: string;
  seed: number;
  connections: number;
  totalBytes: number;
  results: CompareRow[];
  oracle: (Pick<OracleResult, 'capacity' | 'offloadedBytes' | 'offloadRatio' | 'churnPerSecond'> & OracleResult)[];
  durationMs: number;
  peakAlive: number;
  plan: ComparePlan;
  /** Which cells this output holds: all of them, or shard I/N. */
  shard: Shard;
}

/** Builds the JSON of a sweep (or of one shard of it) from its job results. */
export function assemble(meta: { scenario: string; seed: number; plan: ComparePlan; shard?: Shard }, results: JobResult[]): CompareOutput {
  const oracle = results.find((r): r is Extract<JobResult, { kind: 'oracle' }> => r.kind === 'oracle');
  if (!oracle) throw new Error('compare: the oracle job has no result');
  const o = oracle.summary;
  const byCapacity = new Map(o.results.map((r) => [r.capacity, r]));
  const rows = results
    .filter((r): r is Extract<JobResult, { kind: 'cell' }> => r.kind === 'cell')
    .sort((a, b) => a.cell - b.cell)
    .map(({ cell, result }) => row(cell, { ...result, oracleRatio: oracleRatio(result.offloadedBytes, byCapacity.get(result.capacity)!.offloadedBytes) }));
  return {
    scenario: meta.scenario,
    seed: meta.seed,
    connections: o.connections,
    totalBytes: o.totalBytes,
    results: rows,
    oracle: o.results.map((r) => ({
      capacity: r.capacity,
      offloadedBytes: r.offloadedBytes,
      offloadRatio: r.offloadRatio,
      churnPerSecond: r.churnPerSecond,
      initiates: r.initiates,
      terminations: r.terminations,
    })),
    durationMs: o.durationMs,
    peakAlive: o.peakAlive,
    plan: meta.plan,
    shard: meta.shard ?? { index: 1, count: 1 },
  };
}

function row(cell: number, r: RunResult): CompareRow {
  const {
    policy,
    capacity,
    offloadedBytes,
    softwareBytes,
    offloadRatio,
    oracleRatio: ofOracle,
    initiates,
    terminations,
    churnPerSecond,
    wastedOffloads,
    check,
    nothingLost,
    timeline,
    ...rest
  } = r;
  return {
    policy,
    capacity,
    offloadedBytes,
    softwareBytes,
    offloadRatio,
    oracleRatio: ofOracle,
    initiates,
    terminations,
    churnPerSecond,
    wastedOffloads,
    check,
    nothingLost,
    cell,
    ...rest,
    timeline,
  };
}

/** A merge that cannot be done, with every reason. */
export class MergeError extends Error {
  override readonly name = 'MergeError';
  constructor(readonly problems: string[]) {
    super(`cannot merge:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Joins shard outputs of one sweep into the output of the whole sweep. */
export function merge(parts: { name: string; output: unknown }[]): CompareOutput {
  const problems: string[] = [];
  const outputs: CompareOutput[] = [];
  for (const { name, output } of parts) {
    const o = output as Partial<CompareOutput> | null;
    if (!o || typeof o !== 'object' || !Array.isArray(o.results) || !Array.isArray(o.oracle) || !o.plan || !o.shard) {
      problems.push(`${name}: not the output of "chimney-host compare --json"`);
    } else outputs.push(o as CompareOutput);
  }
  if (problems.length) throw new MergeError(problems);
  if (outputs.length === 0) throw new MergeError(["no input: name the shards' JSON files"]);
  const first = outputs[0]!;
  const same = (o: CompareOutput) => ({
    scenario: o.scenario,
    seed: o.seed,
    connections: o.connections,
    totalBytes: o.totalBytes,
    plan: o.plan,
    oracle: o.oracle,
    count: o.shard.count,
  });
  const want = JSON.stringify(same(first));
  outputs.forEach((o, i) => {
    if (JSON.stringify(same(o)) !== want)
      problems.push(`${parts[i]!.name}: another sweep (scenario, seed, plan, shard count or workload differ from ${parts[0]!.name})`);
  });
  if (problems.length) throw new MergeError(problems);
  const total = first.plan.policies.length * first.plan.capacities.length;
  const cells = new Map<number, CompareRow>();
  outputs.forEach((o, i) => {
    o.results.forEach((r, j) => {
      const bad = rowProblem(r, first.plan, total);
      if (bad) return void problems.push(`${parts[i]!.name}: results[${j}] ${bad}: this file was edited or damaged; run its shard again`);
      if (cells.has(r.cell)) problems.push(`${parts[i]!.name}: cell ${r.cell} (${r.policy} at ${r.capacity}) is also in another input`);
      cells.set(r.cell, r);
    });
  });
  const missing = Array.from({ length: total }, (_, c) => c).filter((c) => !cells.has(c));
  if (missing.length) {
    const shards = [...new Set(missing.map((c) => (c % first.shard.count) + 1))];
    problems.push(
      `cells ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} are missing: run shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')} of ${first.shard.count} and merge ${shards.length > 1 ? 'their' : 'its'} output too`,
    );
  }
  if (problems.length) throw new MergeError(problems);
  return { ...first, results: [...cells.values()].sort((a, b) => a.cell - b.cell), shard: { index: 1, count: 1 } };
}

/** Why a shard's result row cannot be one of this plan's cells, or undefined when it can. */
function rowProblem(r: unknown, plan: ComparePlan, total: number): string | undefined {
  if (r === null || typeof r !== 'object') return 'is not a result';
  const row = r as Record<string, unknown>;
  const cell = row.cell;
  if (!Number.isInteger(cell) || (cell as number) < 0 || (cell as number) >= total)
    return `has cell ${JSON.stringify(cell)}, not a cell of this plan (0..${total - 1})`;
  // planJobs numbers the cells policy-major.
  const capacity = plan.capacities[(cell as number) % plan.capacities.length];
  const policy = policyLabel(plan.policies[Math.floor((cell as number) / plan.capacities.length)]!);
  if (row.capacity !== capacity || row.policy !== policy)
    return `says ${JSON.stringify(row.policy)} at capacity ${JSON.stringify(row.capacity)}, but cell ${cell} is ${policy} at ${capacity}`;
  for (const k of ['offloadedBytes', 'softwareBytes', 'initiates', 'terminations', 'churnPerSecond', 'wastedOffloads'] as const) {
    const v = row[k];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) return `has ${k} ${JSON.stringify(v)}, not a count`;
  }
  // Conservation bounds the offload ratio; the oracle's is bounded only when the run was sound,
  // which is the run's own check to report, not merge's.
  if (typeof row.offloadRatio !== 'number' || !(row.offloadRatio >= 0 && row.offloadRatio <= 1))
    return `has offloadRatio ${JSON.stringify(row.offloadRatio)}, not a ratio 0..1`;
  if (typeof row.oracleRatio !== 'number' || !(row.oracleRatio >= 0)) return `has oracleRatio ${JSON.stringify(row.oracleRatio)}, not a ratio`;
  if (typeof row.check !== 'string') return `has check ${JSON.stringify(row.check)}, not "ok" or a failure`;
  if (typeof row.nothingLost !== 'boolean') return `has nothingLost ${JSON.stringify(row.nothingLost)}, not true or false`;
  return undefined;
}

/** The comparison as a table for a terminal, grouped by capacity, the oracle first. */
export function formatTable(out: CompareOutput): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const header = ['capacity', 'policy', 'offloaded', 'of oracle', 'churn/s', 'wasted', 'initiates', 'terminations', 'to offload p50', 'checks'];
  const rows: string[][] = [];
  for (const capacity of out.plan.capacities) {
    const o = out.oracle.find((x) => x.capacity === capacity);
    if (o) rows.push([n(capacity), 'oracle', pct(o.offloadRatio), '100%', n(o.churnPerSecond), '', n(o.initiates ?? 0), n(o.terminations ?? 0), '0 ms', '']);
    for (const r of out.results.filter((x) => x.capacity === capacity)) {
      const checks =
        [
          r.check === 'ok' ? '' : 'check() FAILED',
          r.nothingLost ? '' : 'LOST DATA',
          r.conserved === false ? 'BYTES NOT CONSERVED' : '',
          r.errors?.count ? `${n(r.errors.count)} host error${r.errors.count === 1 ? '' : 's'}` : '',
        ]
          .filter(Boolean)
          .join(', ') || 'ok';
      rows.push([
        '',
        r.policy,
        pct(r.offloadRatio),
        pct(r.oracleRatio),
        n(r.churnPerSecond),
        n(r.wastedOffloads),
        n(r.initiates),
        n(r.terminations),
        `${n(r.timeToOffloadMs?.p50 ?? 0)} ms`,
        checks,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const gb = (out.totalBytes / 1e9).toFixed(2);
  return [
    `chimney-host compare: ${out.scenario} (seed ${out.seed})`,
    `${n(out.connections)} connections, ${gb} GB over ${(out.durationMs / 1000).toLocaleString('en-US')} s simulated; at most ${n(out.peakAlive)} alive at once`,
    `offloaded = share of all bytes carried by the offload path; of oracle = share of what the oracle offloads at that capacity`,
    '',
    line(header),
    ...rows.map(line),
  ].join('\n');
}
