// chimney-host merge a.json b.json ... [--json] [--report FILE.html]
// Joins the outputs of `compare --shard I/N --json` (an array job on a cluster) into one sweep.

import { readFileSync, writeFileSync } from 'node:fs';
import { formatTable, merge, MergeError } from '../sim/compare.js';
import { renderCompareReport } from '../sim/report.js';
import { helpText, parseArgs, type CommandSpec } from './args.js';
import { refuse, reportProblem } from './load.js';

export const spec: CommandSpec = {
  name: 'merge',
  usage: 'shard1.json shard2.json ... [options]',
  summary: 'joins the outputs of compare --shard I/N --json into the whole sweep',
  description:
    'Joins the JSON outputs of "compare --shard I/N --json" into the output of the whole sweep.\nRefuses (exit 2) inputs from different sweeps, overlapping shards, and missing cells.',
  maxPositionals: 100_000,
  options: [
    { name: '--json', help: 'print the merged results as JSON (as compare --json does) instead of a table' },
    { name: '--report', value: 'FILE', help: 'also write the HTML report of the whole sweep' },
    { name: '--help', help: 'this help' },
  ],
};

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec);
  if (args.options['--help']) return (void process.stdout.write(`${helpText(spec)}\n`), 0);
  const problems = [...args.problems];
  if (args.positionals.length === 0) problems.push("name the shards' JSON files (the outputs of compare --shard I/N --json)");
  const report = args.options['--report'] as string | undefined;
  if (report !== undefined) {
    const p = reportProblem(report);
    if (p) problems.push(p);
  }
  const parts: { name: string; output: unknown }[] = [];
  for (const name of args.positionals) {
    try {
      parts.push({ name, output: JSON.parse(readFileSync(name, 'utf8')) });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${name}: ${code === 'ENOENT' ? 'no such file' : (code ?? `not JSON (${(error as Error).message})`)}`);
    }
  }
  if (problems.length) refuse(problems);
  let out: ReturnType<typeof merge>;
  try {
    out = merge(parts);
  } catch (error) {
    if (error instanceof MergeError) refuse(error.problems);
    throw error;
  }
  process.stdout.write(args.options['--json'] ? `${JSON.stringify(out, null, 2)}\n` : `${formatTable(out)}\n`);
  if (report !== undefined) writeFileSync(report, renderCompareReport(out));
  return out.results.every((r) => r.check === 'ok' && r.nothingLost && r.conserved !== false) ? 0 : 1;
}
