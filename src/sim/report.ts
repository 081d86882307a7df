// The HTML report of a simulation: one self-contained file (no network fetch), charts as inline SVG.

import type { SimulationResult } from './simulate.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#9333ea'];
const W = 800;
const H = 240;
const M = { left: 64, right: 190, top: 16, bottom: 36 };

/** Styles the charts need (the report inlines them; a page includes them once). */
export const CHART_CSS = 'figure{margin:18px 0} figcaption{font-weight:600;margin-bottom:4px} svg text{font-size:11px;fill:#333} .grid{stroke:#e5e7eb} .axis{stroke:#111}';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (n: number) => (Math.abs(n) >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : Math.abs(n) >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : Math.abs(n) >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : `${Math.round(n * 10) / 10}`);

/** Round axis steps: 1, 2, 5 times a power of ten. */
function ticks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const out: number[] = [0];
  while (out[out.length - 1]! < max) out.push(out.length * step); // the last tick covers the maximum
  return out;
}

/** Axes, grid and legend around a plot area; `body` draws inside it with the given scales. */
function frame(title: string, xMax: number, yMax: number, xLabel: string, legend: [string, string][], body: (x: (v: number) => number, y: (v: number) => number) => string): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const yTop = ticks(yMax).at(-1) || 1;
  const x = (v: number) => M.left + (v / (xMax || 1)) * pw;
  const y = (v: number) => M.top + ph - (v / yTop) * ph;
  const grid = ticks(yMax).map((v) => `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`).join('');
  const xt = ticks(xMax, 8).map((v) => `<text x="${x(v)}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(v)}</text>`).join('');
  const keys = legend.map(([name, color], i) => `<rect x="${M.left + pw + 14}" y="${M.top + i * 18}" width="12" height="12" fill="${color}"/><text x="${M.left + pw + 32}" y="${M.top + i * 18 + 10}">${esc(name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid}${xt}<text x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text>${body(x, y)}<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>${keys}</svg></figure>`;
}

function lines(title: string, xs: number[], series: { name: string; values: number[] }[], xLabel: string, extra = ''): string {
  const yMax = Math.max(1, ...series.flatMap((s) => s.values));
  const legend = series.map((s, i) => [s.name, COLORS[i % COLORS.length]!] as [string, string]);
  return frame(title, xs.at(-1) ?? 1, yMax, xLabel, legend, (x, y) =>
    series.map((s, i) => `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${s.values.map((v, j) => `${x(xs[j]!).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`).join('') + extra.replace(/Y\(([\d.]+)\)/g, (_, v) => y(Number(v)).toFixed(1)));
}

function stackedBars(title: string, xs: number[], series: { name: string; values: number[] }[], xLabel: string): string {
  const totals = xs.map((_, j) => series.reduce((s, x) => s + x.values[j]!, 0));
  const yMax = Math.max(1, ...totals);
  const legend = series.map((s, i) => [s.name, COLORS[i % COLORS.length]!] as [string, string]);
  const step = xs.length > 1 ? xs[1]! - xs[0]! : xs[0] ?? 1;
  return frame(title, xs.at(-1) ?? 1, yMax, xLabel, legend, (x, y) => {
    const width = Math.max(1, x(step) - x(0) - 1);
    let out = '';
    xs.forEach((t, j) => {
      let base = 0;
      series.forEach((s, i) => {
        const v = s.values[j]!;
        if (!v) return;
        out += `<rect x="${(x(t) - width).toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${width.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`;
        base += v;
      });
    });
    return out;
  });
}

/** The four charts (inline SVG), from a result or from a run in progress. */
export function renderCharts(r: Pick<SimulationResult, 'timeline' | 'capacity' | 'latencies'> & { terminations: { byReason: Record<string, number> } }): string {
  const seconds = r.timeline.map((s) => s.atMs / 1000);
  const peakOf = (values: number[]) => `peak ${fmt(Math.max(0, ...values))}`;
  const kinds = (['connections', 'paths', 'neighbors'] as const).map((k) => {
    const values = r.timeline.map((s) => s[k]);
    return { name: `${k} (${peakOf(values)})`, values };
  });
  const reasons = Object.keys(r.terminations.byReason).filter((k) => r.terminations.byReason[k]! > 0);
  const byReason = reasons.map((name) => ({ name, values: r.timeline.map((s) => s.terminations[name] ?? 0) }));
  const use = [{ name: '% of capacity', values: r.timeline.map((s) => (r.capacity ? (100 * s.connections) / r.capacity : 0)) }];
  const capLine = `<line x1="${M.left}" x2="${W - M.right}" y1="Y(100)" y2="Y(100)" stroke="#111" stroke-dasharray="4 4"/>`;
  // Latency: share of terminations completed within t ms.
  const lat = r.latencies;
  const maxLat = Math.max(1, lat.at(-1) ?? 1);
  const steps = 60;
  const xs = Array.from({ length: steps + 1 }, (_, i) => (maxLat * i) / steps);
  let k = 0;
  const cdf = xs.map((t) => {
    while (k < lat.length && lat[k]! <= t) k++;
    return lat.length ? (100 * k) / lat.length : 0;
  });
  return `${lines('Offloaded objects over time, by kind', seconds, kinds, 'simulated time (s)')}
${stackedBars('Terminations over time, by reason', seconds, byReason, 'simulated time (s)')}
${lines('Capacity use', seconds, use, 'simulated time (s)', capLine)}
${lines('Termination latency: share of terminations completed within t', xs, [{ name: 'completed (%)', values: cdf }], 'latency t (ms, simulated)')}`;
}

/** The whole report as one HTML document. */
export function renderReport(r: SimulationResult): string {
  const row = (name: string, value: string | number) => `<tr><th>${esc(name)}</th><td>${esc(typeof value === 'number' ? value.toLocaleString('en-US') : value)}</td></tr>`;
  const lost = r.nothingLost.failures.length ? `FAILED for ${r.nothingLost.failures.length}` : `ok for all ${r.nothingLost.checked.toLocaleString('en-US')} terminated connections`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chimney-host: ${esc(r.scenario)}</title>
<style>${CHART_CSS}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#111;max-width:980px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} .sub{color:#555;margin:0 0 20px}
table{border-collapse:collapse;margin:0 24px 16px 0;display:inline-table;vertical-align:top} th,td{padding:3px 10px;border-bottom:1px solid #e5e7eb;text-align:left} td{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#16a34a} .bad{color:#dc2626}
</style></head><body>
<h1>Offload simulation: ${esc(r.scenario)}</h1>
<p class="sub">seed ${r.seed} · ${(r.durationMs / 1000).toLocaleString('en-US')} s simulated in ${(r.wallMs / 1000).toFixed(1)} s · capacity ${r.capacity.toLocaleString('en-US')} connections</p>
<table><caption>Objects</caption>${row('connections requested', r.requested)}${row('connections offloaded', r.offloaded.connections)}${row('paths offloaded', r.offloaded.paths)}${row('neighbors offloaded', r.offloaded.neighbors)}${row('connections refused', r.refused.total)}${row('peak connections', `${r.peakConnections.toLocaleString('en-US')} (${r.capacity ? Math.round((100 * r.peakConnections) / r.capacity) : 0}% of capacity)`)}${row('still offloaded at the end', r.stillOffloaded)}</table>
<table><caption>Terminations by reason</caption>${Object.entries(r.terminations.byReason).map(([k, v]) => row(k, v)).join('')}</table>
<table><caption>Checks and cost</caption><tr><th>nothing lost</th><td class="${r.nothingLost.failures.length ? 'bad' : 'ok'}">${esc(lost)}</td></tr><tr><th>check()</th><td class="${r.check === 'ok' ? 'ok' : 'bad'}">${esc(r.check)}</td></tr>${row('termination latency p50 / p99', `${fmt(r.terminationLatencyMs.p50)} / ${fmt(r.terminationLatencyMs.p99)} ms`)}${row('table calls', r.core.calls)}${row('time in the table', `${r.core.ms.toFixed(0)} ms (${fmt(r.core.callsPerSecond)} calls/s)`)}</table>
${renderCharts(r)}
</body></html>
`;
}
