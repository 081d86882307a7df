#!/usr/bin/env node
// chimney-host simulate [scenario.json] [--report FILE.html] [--json] [--seed N]
// Runs an offload scenario through HostStack + SimulatedTarget and prints what happened.
// Exit codes: 0 done and every check held; 1 a check failed; 2 bad arguments or scenario.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readScenario, ScenarioError, type Scenario } from './sim/scenario.js';
import { simulate, parseCdf, type SimulationResult } from './sim/simulate.js';
import { renderReport } from './sim/report.js';

const USAGE = `usage: chimney-host simulate [scenario.json] [--report FILE.html] [--json] [--seed N]

  scenario.json     the workload to run (default: the built-in scenarios/default.json)
  --report FILE     also write a self-contained HTML report with charts
  --json            print the summary as JSON (no progress line)
  --seed N          override the scenario's seed (same seed, same result)`;

const SCENARIOS = new URL('../scenarios/', import.meta.url);

function usage(message: string): never {
  process.stderr.write(`chimney-host: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (command !== 'simulate') usage(command ? `unknown command '${command}'` : 'missing command');
  const out: { file?: string; report?: string; json: boolean; seed?: number } = { json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--json') out.json = true;
    else if (a === '--report') out.report = rest[++i] ?? usage('--report needs a file name');
    else if (a === '--seed') {
      const v = rest[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 2 ** 32 - 1) usage(`--seed needs an integer 0..4294967295, got ${v ?? 'nothing'}`);
      out.seed = Number(v);
    } else if (a.startsWith('-')) usage(`unknown option '${a}'`);
    else if (out.file) usage(`one scenario file at a time (got '${out.file}' and '${a}')`);
    else out.file = a;
  }
  return out;
}

function loadScenario(file: string | undefined, seed: number | undefined): { scenario: Scenario; cdf: [number, number][] } {
  const path = file ?? fileURLToPath(new URL('default.json', SCENARIOS));
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    usage(`cannot read the scenario ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    process.stderr.write(`chimney-host: ${path} is not JSON: ${(error as Error).message}\n`);
    process.exit(2);
  }
  let scenario: Scenario;
  try {
    scenario = readScenario(json);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    process.stderr.write(`chimney-host: ${path}: ${error.message}\nNothing was run. Fix the fields above and try again.\n`);
    process.exit(2);
  }
  if (seed !== undefined) scenario.seed = seed;
  const sizes = scenario.connections.flowSizes;
  const cdf = typeof sizes === 'string' ? parseCdf(readFileSync(new URL(`${sizes}.cdf`, SCENARIOS), 'utf8')) : sizes.cdf;
  return { scenario, cdf };
}

function summary(r: SimulationResult): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const pad = (s: string, w: number) => s.padEnd(w);
  const lines = [
    `chimney-host simulate: ${r.scenario} (seed ${r.seed}), ${n(r.durationMs / 1000)} s simulated in ${(r.wallMs / 1000).toFixed(1)} s`,
    '',
    `  connections requested ${n(r.requested)}, offloaded ${n(r.offloaded.connections)}, refused ${n(r.refused.total)}; paths ${n(r.offloaded.paths)}, neighbors ${n(r.offloaded.neighbors)} offloaded`,
    `  peak ${n(r.peakConnections)} connections of ${n(r.capacity)} capacity (${r.capacity ? Math.round((100 * r.peakConnections) / r.capacity) : 0}%); ${n(r.stillOffloaded)} still offloaded at the end`,
    '',
    '  terminations by reason:',
    ...Object.entries(r.terminations.byReason).map(([k, v]) => `    ${pad(k, 17)}${n(v).padStart(9)}`),
    `  terminations by kind: ${Object.entries(r.terminations.byKind).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`,
    ...(r.refused.total ? ['  refused because:', ...Object.entries(r.refused.why).map(([k, v]) => `    ${n(v).padStart(9)}  ${k}`)] : []),
    '',
    `  nothing lost: ${r.nothingLost.failures.length ? `FAILED for ${r.nothingLost.failures.length} connections, e.g. ${r.nothingLost.failures[0]}` : `ok for all ${n(r.nothingLost.checked)} terminated connections`}`,
    `  check(): ${r.check}`,
    `  termination latency (simulated): p50 ${r.terminationLatencyMs.p50.toFixed(1)} ms, p99 ${r.terminationLatencyMs.p99.toFixed(1)} ms, max ${r.terminationLatencyMs.max.toFixed(1)} ms`,
    `  core: ${n(r.core.calls)} table calls in ${r.core.ms.toFixed(0)} ms (${n(Math.round(r.core.callsPerSecond))} calls/s)`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === 'trace') process.exit(await (await import('./cli/trace.js')).traceCommand(process.argv.slice(3)));
  const args = parseArgs(process.argv.slice(2));
  const { scenario, cdf } = loadScenario(args.file, args.seed);
  const tty = process.stdout.isTTY && !args.json;
  const result = await simulate(scenario, {
    cdf,
    onProgress: tty
      ? (p) => process.stdout.write(`\r  ${(p.atMs / 1000).toFixed(1)} s simulated · ${p.connections.toLocaleString('en-US')} connections offloaded · ${p.terminations.toLocaleString('en-US')} terminations`)
      : undefined,
  });
  if (tty) process.stdout.write('\r\x1b[K');
  if (args.json) {
    const { latencies: _, ...rest } = result;
    process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
  } else {
    process.stdout.write(`${summary(result)}\n`);
  }
  if (args.report) {
    writeFileSync(args.report, renderReport(result));
    if (!args.json) process.stdout.write(`  report: ${args.report}\n`);
  }
  if (result.nothingLost.failures.length || result.check !== 'ok') process.exit(1);
}

main().catch((error) => {
  process.stderr.write(`chimney-host: the simulation failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
