// What every command checks before it runs anything: the scenario file, the flow-size CDF, the
// policies (built-in names or modules, with their options), the report path, and what the run
// will cost on this machine. Each returns problems instead of throwing, so a command can name all
// of them at once and exit 2.

import { accessSync, closeSync, constants, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { policies, loadPolicy } from '../host/policies/index.js';
import type { OffloadPolicy } from '../host/policy.js';
import { readScenario, ScenarioError, type PolicySpec, type Scenario } from '../sim/scenario.js';
import { parseCdf } from '../sim/cdf.js';
import { estimate, refusal } from '../sim/limits.js';
import { helpText, parseArgs, type CommandSpec, type Parsed } from './args.js';

const SCENARIOS = new URL('../../scenarios/', import.meta.url);
export const DEFAULT_SCENARIO = fileURLToPath(new URL('default.json', SCENARIOS));

export interface Loaded {
  path: string;
  scenario: Scenario;
  /** The points of the scenario's named flow sizes (an inline CDF is in the scenario itself). */
  cdf: [number, number][];
}

/**
 * How simulate and compare begin: their arguments, `--help` (printed; undefined is returned), an
 * unwritable `--report` path found before anything runs, and the scenario (refused, with every
 * problem so far, when it is bad). `problems` goes on collecting until the command refuses or runs.
 */
export function startCommand(argv: string[], spec: CommandSpec): { args: Parsed; problems: string[]; report?: string; loaded: Loaded } | undefined {
  const args = parseArgs(argv, spec);
  if (args.options['--help']) {
    process.stdout.write(`${helpText(spec)}\n`);
    return undefined;
  }
  const problems = [...args.problems];
  const report = args.options['--report'] as string | undefined;
  if (report !== undefined) {
    const p = reportProblem(report);
    if (p) problems.push(p);
  }
  const loaded = loadScenario(args.positionals[0], args.options['--seed'] as number | undefined);
  if ('problems' in loaded) refuse([...problems, ...loaded.problems], 'Fix the problems above and try again.');
  return { args, problems, report, loaded };
}

/** Reads and validates a scenario file; problems name the file and every bad field. */
export function loadScenario(file: string | undefined, seed?: number): Loaded | { problems: string[] } {
  const path = file ?? DEFAULT_SCENARIO;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problems: [`cannot read the scenario ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(error))}`],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [`${path} is not JSON: ${(error as Error).message}`] };
  }
  let scenario: Scenario;
  try {
    scenario = readScenario(json);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return { problems: error.problems.map((p) => `${path}: ${p}`) };
  }
  if (seed !== undefined) scenario.seed = seed;
  const sizes = scenario.connections.flowSizes;
  let cdf: [number, number][] = [];
  if (typeof sizes === 'string') {
    const cdfPath = fileURLToPath(new URL(`${sizes}.cdf`, SCENARIOS));
    try {
      cdf = parseCdf(readFileSync(cdfPath, 'utf8'));
    } catch (error) {
      return { problems: [`${cdfPath}: ${(error as Error).message}`] };
    }
  }
  return { path, scenario, cdf };
}

/** Whether `--report FILE` can be written, checked before the run rather than after it. */
export function reportProblem(file: string): string | undefined {
  return outputProblem('--report', file, 'an HTML report', 'report.html', (head) => /^\s*<!doctype html/i.test(head));
}

/**
 * Whether an output file named by `option` can be written, checked before a long run rather than
 * after it. An earlier output of ours (`ours` recognises its first bytes; empty files count) may
 * be replaced; anything else (the scenario itself, a capture) never is.
 */
export function outputProblem(option: string, file: string, what: string, example: string, ours: (head: string) => boolean): string | undefined {
  if (file === '') return `${option} needs a file name, got an empty one`;
  try {
    const existing = statSync(file, { throwIfNoEntry: false });
    if (existing?.isDirectory()) return `${option}: ${file} is a directory; name a file such as ${resolve(file, example)}`;
    if (existing && existing.size > 0 && !ours(firstBytes(file)))
      return `${option}: ${file} exists and is not ${what}: it would be overwritten. Name a new file, or delete it first if it is yours to lose`;
    accessSync(existing ? file : dirname(resolve(file)), constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${option}: cannot write ${file} (${code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' ? 'permission denied' : (code ?? String(error))})`;
  }
}

/** The first 64 bytes of a file as text ('' for an empty file). */
function firstBytes(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    return n === 0 ? '' : head.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A policy ready to send to a worker: a built-in's name or a module's file URL, and options. */
export interface ResolvedPolicy extends PolicySpec {
  /** file:// URL of a policy module; undefined for a built-in. */
  module?: string;
}

const looksLikePath = (s: string) => /^(\.{1,2}[\\/]|[\\/]|file:)/.test(s) || /\.[cm]?js$/.test(s);

/** Resolves and test-builds every policy (so bad options are found before anything runs). */
export async function resolvePolicies(specs: PolicySpec[], baseDir: string): Promise<{ policies: ResolvedPolicy[]; problems: string[] }> {
  const out: ResolvedPolicy[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.policy)) problems.push(`policy '${spec.policy}' is listed twice`);
    seen.add(spec.policy);
    const r: ResolvedPolicy = { ...spec };
    if (!(spec.policy in policies)) {
      if (!looksLikePath(spec.policy)) {
        problems.push(
          `unknown policy '${spec.policy}': the built-in ones are ${Object.keys(policies).join(', ')}; a module path starts with ./ or / (e.g. ./my-policy.mjs)`,
        );
        continue;
      }
      r.module = spec.policy.startsWith('file:') ? spec.policy : pathToFileURL(isAbsolute(spec.policy) ? spec.policy : resolve(baseDir, spec.policy)).href;
    }
    try {
      await makePolicy(r);
      out.push(r);
    } catch (error) {
      // A built-in policy's message names the policy already.
      const message = (error as Error).message;
      problems.push(message.startsWith(`policy '${spec.policy}'`) ? message : `policy '${spec.policy}': ${message}`);
    }
  }
  return { policies: out, problems };
}

/** Builds a resolved policy (in the main thread to check it, in each worker to run it). */
export async function makePolicy(p: ResolvedPolicy): Promise<OffloadPolicy> {
  if (p.module) return loadPolicy(p.module, p.options);
  const factory = policies[p.policy] as { create(options?: Record<string, unknown>): OffloadPolicy } | undefined;
  if (!factory) throw new Error(`unknown policy '${p.policy}'`);
  return factory.create(p.options);
}

/** Worker threads by default: one per core. */
export const defaultWorkers = (): number => Math.max(1, availableParallelism());

/** Refuses a run this machine cannot do; `runs` at once. */
export function costProblem(l: Loaded, capacity: number, runs: number, maxMinutes: number): string | undefined {
  const e = estimate(l.scenario, l.cdf, capacity);
  return refusal(e, { bytes: totalmem() * 0.6, seconds: maxMinutes * 60, runs });
}

/** Prints problems and exits 2: nothing ran. */
export function refuse(problems: string[], help?: string): never {
  process.stderr.write(
    `chimney-host: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`}\nNothing was run.${help ? ` ${help}` : ''}\n`,
  );
  process.exit(2);
}
