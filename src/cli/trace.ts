// chimney-host trace FILE [--json] [--cdf OUT.cdf] [--tick MS] [--idle-timeout MS]
// What a recorded trace holds, before it is replayed with `simulate --trace` or `compare --trace`.
// Exit codes: 0 read (perhaps with warnings); 2 bad arguments or a file this reader cannot read.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { outputProblem } from './load.js';
import { TraceError } from '../trace/errors.js';
import { formatCdf } from '../trace/sizes.js';
import { summarizeTrace, type TraceSummary } from '../trace/summary.js';
import { openTraceWorkload, type TraceOptions } from '../trace/workload.js';

export const TRACE_USAGE = `usage: chimney-host trace FILE [--json] [--cdf OUT.cdf] [--tick MS] [--idle-timeout MS]

  FILE              a pcap or pcapng capture (gzip-compressed or not), or a Zeek conn.log (TSV or JSON lines)
  --json            print the summary as JSON
  --cdf OUT.cdf     write the flow-size CDF ("<bytes> <percent>" lines, like scenarios/*.cdf)
  --tick MS         time resolution of "connections alive over time" (default 100)
  --idle-timeout MS close a connection after this long without a packet (default 300000)`;

const n = (v: number) => v.toLocaleString('en-US');

function bytes(v: number): string {
  if (v < 10_000) return `${n(v)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let u = -1;
  while (v >= 1000 && u < units.length - 1) (v /= 1000), u++;
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(3)} s` : ms < 3_600_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 3_600_000).toFixed(2)} h`;
}

/** "connections alive over time" as one line of block characters, with its scale. */
function sparkline(points: [number, number][], peak: number, width = 60): string[] {
  if (points.length === 0 || peak === 0) return ['    (no connection was ever open)'];
  const cols: number[] = [];
  for (let c = 0; c < Math.min(width, points.length); c++) {
    const from = Math.floor((c * points.length) / Math.min(width, points.length));
    const to = Math.floor(((c + 1) * points.length) / Math.min(width, points.length));
    let m = 0;
    for (let i = from; i < to; i++) m = Math.max(m, points[i]![1]);
    cols.push(m);
  }
  const bars = '▁▂▃▄▅▆▇█';
  const line = cols.map((v) => (v === 0 ? ' ' : bars[Math.min(7, Math.floor((v / peak) * 7.999))])).join('');
  const end = points[points.length - 1]![0];
  return [
    `    ${n(peak).padStart(7)} ┤${line}`,
    `    ${'0'.padStart(7)} └${'─'.repeat(cols.length)}`,
    `             0 s${' '.repeat(Math.max(1, cols.length - 3 - seconds(end).length))}${seconds(end)}`,
  ];
}

export function formatSummary(s: TraceSummary): string {
  const skippedTotal = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  const lines = [
    `chimney-host trace: ${s.file} (${s.format})`,
    '',
    `  ${n(s.packets)} ${s.format === 'zeek' ? 'records' : 'packets'} over ${seconds(s.durationMs)}; ${n(s.tcpPackets)} TCP`,
    `  ${n(s.connections)} TCP connections, ${bytes(s.payloadBytes)} of payload: ${bytes(s.bytes.initiator)} sent by the side that opened them, ${bytes(s.bytes.responder)} by the other side`,
    `  skipped: ${skippedTotal ? n(skippedTotal) : 'nothing'}`,
    ...Object.entries(s.skipped).map(([why, c]) => `    ${n(c).padStart(9)}  ${why}`),
    ...(s.cutMs > 0 ? [`  replay: ${seconds(s.cutMs)} with no connection alive cut out`] : []),
    '',
    `  connections alive over time (peak ${n(s.alive.peak)}):`,
    ...sparkline(s.alive.points, s.alive.peak),
    '',
    '  flow sizes (CDF: bytes, % of connections at most that size):',
    ...s.flowSizeCdf.map(([x, y]) => `    ${n(x).padStart(14)}  ${y.toFixed(2).padStart(6)} %`),
  ];
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function usage(message: string): number {
  process.stderr.write(`chimney-host trace: ${message}\n\n${TRACE_USAGE}\n`);
  return 2;
}

/** Runs `chimney-host trace` with the arguments after `trace`; returns the exit code. */
export async function traceCommand(argv: string[]): Promise<number> {
  let file: string | undefined;
  let json = false;
  let cdf: string | undefined;
  const options: TraceOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${TRACE_USAGE}\n`);
      return 0;
    }
    if (a === '--json') json = true;
    else if (a === '--cdf') {
      cdf = argv[++i];
      if (!cdf) return usage('--cdf needs a file name');
      // `--cdf --json` is a slip, not a file named '--json' (a file that is: ./--json).
      if (cdf.startsWith('--')) return usage(`--cdf needs a file name (got the option ${cdf})`);
    } else if (a === '--tick' || a === '--idle-timeout') {
      const v = argv[++i];
      const ms = Number(v);
      if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || ms <= 0 || ms > 365 * 86_400_000)
        return usage(`${a} needs a number of milliseconds above 0 and at most a year (31536000000), written as digits, got ${v ?? 'nothing'}`);
      if (a === '--tick') options.tickMs = ms;
      else options.idleTimeoutMs = ms;
    } else if (a.startsWith('-')) return usage(`unknown option '${a}'`);
    else if (file) return usage(`one file at a time (got '${file}' and '${a}')`);
    else file = a;
  }
  if (!file) return usage('which file? Give a pcap, pcapng or Zeek conn.log');
  // The output is checked before the trace is read (that can take minutes), never after.
  if (cdf !== undefined) {
    if (resolve(cdf) === resolve(file)) return usage(`--cdf ${cdf} is the trace being read; name a new file for the CDF`);
    const problem = outputProblem('--cdf', cdf, 'a flow-size CDF', 'flows.cdf', (head) => /^\d+(\.\d+)? \d+(\.\d+)?\n/.test(head));
    if (problem) {
      process.stderr.write(`chimney-host trace: ${problem}\nNothing was read.\n`);
      return 2;
    }
  }

  const tty = process.stderr.isTTY === true;
  let summary: TraceSummary;
  try {
    const w = await openTraceWorkload(file, options);
    let last = 0;
    summary = await summarizeTrace(
      w,
      tty
        ? () => {
            const now = Date.now();
            if (now - last < 200) return;
            last = now;
            const { read, size } = w.progress();
            process.stderr.write(
              `\r  reading ${file}: ${size ? Math.floor((100 * read) / size) : 100}% (${bytes(read)} of ${bytes(size)}), ${n(w.stats.packets)} packets`,
            );
          }
        : undefined,
    );
    if (tty) process.stderr.write('\r\x1b[K');
  } catch (error) {
    if (tty) process.stderr.write('\r\x1b[K');
    if (error instanceof TraceError) {
      process.stderr.write(`chimney-host trace: ${error.message}\nNothing was summarized.\n`);
      return 2;
    }
    throw error;
  }
  if (cdf && summary.flowSizeCdf.length < 2) {
    // A CDF needs two points; a trace whose flows all moved 0 bytes (or has none) has one.
    process.stderr.write(`chimney-host trace: no flow moved any bytes, so there is no flow-size CDF to write; ${cdf} was not written\n`);
    return 2;
  }
  if (cdf) {
    try {
      writeFileSync(cdf, formatCdf(summary.flowSizeCdf));
    } catch (error) {
      process.stderr.write(`chimney-host trace: cannot write ${cdf}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
      return 2;
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(`${formatSummary(summary)}${cdf ? `\n  flow-size CDF written to ${cdf}` : ''}\n`);
  for (const w of summary.warnings) if (json) process.stderr.write(`chimney-host trace: warning: ${w}\n`);
  return 0;
}
