// The HTML reports: one self-contained file each (no script, no network fetch), charts as inline SVG.
//   renderCompareReport  compare: offload ratio, churn and wasted offloads against capacity, each
//                        policy with the oracle's curve above; then each run's timeline
//   renderRunReport      simulate: one run's figures and its timeline
//   renderRunCharts      the timeline charts alone (the live demo redraws them as it runs)

import { CHART_CSS, esc, fmt, lines, M, stackedBars, W } from './charts.js';
import type { CompareOutput } from './compare.js';
import type { RunResult, Sample } from './metrics.js';

const PAGE_CSS = `${CHART_CSS}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#111;max-width:1000px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 4px} .sub{color:#555;margin:0 0 20px}
table{border-collapse:collapse;margin:0 24px 16px 0;display:inline-table;vertical-align:top} th,td{padding:3px 10px;border-bottom:1px solid #e5e7eb;text-align:left} td{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#16a34a} .bad{color:#dc2626}`;

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const gb = (v: number) => `${(v / 1e9).toFixed(2)} GB`;
const n = (v: number) => Math.round(v).toLocaleString('en-US');

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${PAGE_CSS}</style></head><body>
${body}
</body></html>
`;
}

/** Timeline charts of one run: bytes offloaded vs in software, capacity use, connections, terminations by reason. */
export function renderRunCharts(timeline: readonly Sample[], capacity: number): string {
  const seconds = timeline.map((s) => s.atMs / 1000);
  const mb = (v: number) => v / 1e6;
  const bytes = [
    { name: 'offloaded (MB)', values: timeline.map((s) => mb(s.offloadedBytes)) },
    { name: 'software (MB)', values: timeline.map((s) => mb(s.softwareBytes)) },
  ];
  const use = [{ name: '% of capacity', values: timeline.map((s) => (capacity ? (100 * s.occupied) / capacity : 0)) }];
  const capLine = `<line x1="${M.left}" x2="${W - M.right}" y1="Y(100)" y2="Y(100)" stroke="#111" stroke-dasharray="4 4"/>`;
  const conns = [
    { name: 'alive in the host', values: timeline.map((s) => s.open) },
    { name: 'offloaded', values: timeline.map((s) => s.offloaded) },
  ];
  const reasons = [...new Set(timeline.flatMap((s) => Object.keys(s.terminations)))].sort();
  const byReason = reasons.map((name) => ({ name, values: timeline.map((s) => s.terminations[name] ?? 0) }));
  return `${stackedBars('Bytes per interval: offloaded and in software', seconds, bytes, 'simulated time (s)')}
${lines('Capacity use (connections on the target)', seconds, use, 'simulated time (s)', capLine)}
${lines('Connections alive and offloaded', seconds, conns, 'simulated time (s)')}
${stackedBars('Connection terminations, by reason', seconds, byReason, 'simulated time (s)')}`;
}

function runTables(r: RunResult): string {
  const row = (name: string, value: string | number, cls = '') =>
    `<tr><th>${esc(name)}</th><td${cls ? ` class="${cls}"` : ''}>${esc(typeof value === 'number' ? n(value) : value)}</td></tr>`;
  const lost = r.nothingLost ? `ok for all ${n(r.nothingLostDetail.checked)} terminated connections` : `FAILED for ${n(r.nothingLostDetail.failures)}`;
  return `<table><caption>Bytes</caption>${row('offload ratio', pct(r.offloadRatio))}${row('of the oracle', Number.isNaN(r.oracleRatio) ? 'not run' : pct(r.oracleRatio))}${row('offloaded', gb(r.offloadedBytes))}${row('software', gb(r.softwareBytes))}${row('conservation', r.conserved ? 'ok' : 'FAILED', r.conserved ? 'ok' : 'bad')}</table>
<table><caption>Churn</caption>${row('initiates', r.initiates)}${row('initiate failures', r.initiateFailures)}${row('terminations', r.terminations)}${row('churn per second', r.churnPerSecond.toFixed(1))}${row('wasted offloads', r.wastedOffloads)}${row('time to offload p50 / p99', `${n(r.timeToOffloadMs.p50)} / ${n(r.timeToOffloadMs.p99)} ms`)}${row('peak on the target', `${n(r.peakOccupied)} of ${n(r.capacity)}`)}</table>
<table><caption>Terminations by reason</caption>${Object.entries(r.terminationsByReason)
    .map(([k, v]) => row(k, v))
    .join('')}</table>
<table><caption>Checks</caption>${row('nothing lost', lost, r.nothingLost ? 'ok' : 'bad')}${row('check()', r.check, r.check === 'ok' ? 'ok' : 'bad')}${row('errors', r.errors.count, r.errors.count ? 'bad' : 'ok')}</table>`;
}

/** simulate --report: one run. */
export function renderRunReport(r: RunResult, meta: { scenario: string; seed: number }): string {
  return page(
    `chimney-host: ${meta.scenario}`,
    `<h1>Offload simulation: ${esc(meta.scenario)}</h1>
<p class="sub">policy ${esc(r.policy)} · capacity ${n(r.capacity)} · seed ${meta.seed} · ${n(r.connections)} connections · ${(r.durationMs / 1000).toLocaleString('en-US')} s simulated in ${(r.wallMs / 1000).toFixed(1)} s</p>
${runTables(r)}
${renderRunCharts(r.timeline, r.capacity)}`,
  );
}

/** compare --report (and merge --report): the sweep. */
export function renderCompareReport(out: CompareOutput): string {
  const caps = out.plan.capacities;
  const policies = [...new Set(out.results.map((r) => r.policy))];
  const cell = (policy: string, capacity: number) => out.results.find((r) => r.policy === policy && r.capacity === capacity);
  const oracleAt = (capacity: number) => out.oracle.find((o) => o.capacity === capacity);
  const sortedCaps = [...caps].sort((a, b) => a - b);
  const series = (value: (policy: string, capacity: number) => number) => policies.map((p) => ({ name: p, values: sortedCaps.map((c) => value(p, c)) }));
  const ratio = [
    ...series((p, c) => 100 * (cell(p, c)?.offloadRatio ?? 0)),
    { name: 'oracle', values: sortedCaps.map((c) => 100 * (oracleAt(c)?.offloadRatio ?? 0)), dashed: true },
  ];
  const churn = [
    ...series((p, c) => cell(p, c)?.churnPerSecond ?? 0),
    { name: 'oracle', values: sortedCaps.map((c) => oracleAt(c)?.churnPerSecond ?? 0), dashed: true },
  ];
  const wasted = series((p, c) => cell(p, c)?.wastedOffloads ?? 0);
  const head = ['policy', 'capacity', 'offloaded', 'of oracle', 'churn/s', 'wasted', 'initiates', 'terminations', 'check', 'nothing lost'];
  const rows = out.results
    .map(
      (r) =>
        `<tr><th>${esc(r.policy)}</th><td>${n(r.capacity)}</td><td>${pct(r.offloadRatio)}</td><td>${pct(r.oracleRatio)}</td><td>${r.churnPerSecond.toFixed(1)}</td><td>${n(r.wastedOffloads)}</td><td>${n(r.initiates)}</td><td>${n(r.terminations)}</td><td class="${r.check === 'ok' ? 'ok' : 'bad'}">${esc(r.check)}</td><td class="${r.nothingLost ? 'ok' : 'bad'}">${r.nothingLost ? 'ok' : 'FAILED'}</td></tr>`,
    )
    .join('');
  const oracleRows = out.oracle
    .map(
      (o) =>
        `<tr><th>oracle</th><td>${n(o.capacity)}</td><td>${pct(o.offloadRatio)}</td><td>100%</td><td>${o.churnPerSecond.toFixed(1)}</td><td></td><td></td><td></td><td></td><td></td></tr>`,
    )
    .join('');
  const timelines = policies
    .map((p) => {
      const runs = sortedCaps.map((c) => cell(p, c)).filter((r): r is NonNullable<typeof r> => r !== undefined);
      const xs = (runs[0]?.timeline ?? []).map((s) => s.atMs / 1000);
      const share = runs.map((r) => ({
        name: `capacity ${fmt(r.capacity)}`,
        values: r.timeline.map((s) => (s.offloadedBytes + s.softwareBytes ? (100 * s.offloadedBytes) / (s.offloadedBytes + s.softwareBytes) : 0)),
      }));
      const use = runs.map((r) => ({ name: `capacity ${fmt(r.capacity)}`, values: r.timeline.map((s) => (r.capacity ? (100 * s.occupied) / r.capacity : 0)) }));
      return `<h2>${esc(p)}: each run over time</h2>
${lines(`${p}: offloaded share of the bytes in each interval (%)`, xs, share, 'simulated time (s)')}
${lines(`${p}: capacity use (% of the target's capacity)`, xs, use, 'simulated time (s)')}`;
    })
    .join('\n');
  return page(
    `chimney-host compare: ${out.scenario}`,
    `<h1>Offload policies compared: ${esc(out.scenario)}</h1>
<p class="sub">seed ${out.seed} · ${n(out.connections)} connections · ${gb(out.totalBytes)} · ${(out.durationMs / 1000).toLocaleString('en-US')} s simulated · at most ${n(out.peakAlive)} connections alive at once. The oracle holds, at every tick, the connections moving the most bytes in that tick (free, instant installs): no policy can offload more.</p>
${lines('Offload ratio against capacity (% of all bytes; dashed: the oracle)', sortedCaps, ratio, 'capacity (connections)')}
${lines('Churn against capacity (initiates + terminations per second; dashed: the oracle)', sortedCaps, churn, 'capacity (connections)')}
${lines('Wasted offloads against capacity (terminated having carried little)', sortedCaps, wasted, 'capacity (connections)')}
<table><caption>Every run</caption><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${oracleRows}${rows}</table>
${timelines}`,
  );
}
