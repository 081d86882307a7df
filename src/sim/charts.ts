// Charts as inline SVG strings (no library, no network fetch): line charts and stacked bars with
// round axis ticks and a legend. Used by the HTML reports and by the live demo page.

export interface Series {
  name: string;
  values: number[];
  dashed?: boolean;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#9333ea'];
export const W = 800;
const H = 240;
export const M = { left: 64, right: 190, top: 16, bottom: 36 };

/** Styles the charts need (the report inlines them; a page includes them once). */
export const CHART_CSS =
  'figure{margin:18px 0} figcaption{font-weight:600;margin-bottom:4px} svg text{font-size:11px;fill:#333} .grid{stroke:#e5e7eb} .axis{stroke:#111}';

export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
export const fmt = (n: number) =>
  Math.abs(n) >= 1e6
    ? `${(n / 1e6).toFixed(1)}M`
    : Math.abs(n) >= 1e4
      ? `${(n / 1e3).toFixed(0)}k`
      : Math.abs(n) >= 1e3
        ? `${(n / 1e3).toFixed(1)}k`
        : `${Math.round(n * 10) / 10}`;

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
function frame(
  title: string,
  xMax: number,
  yMax: number,
  xLabel: string,
  legend: [string, string][],
  body: (x: (v: number) => number, y: (v: number) => number) => string,
): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const yTop = ticks(yMax).at(-1) || 1;
  const x = (v: number) => M.left + (v / (xMax || 1)) * pw;
  const y = (v: number) => M.top + ph - (v / yTop) * ph;
  const grid = ticks(yMax)
    .map(
      (v) =>
        `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
    )
    .join('');
  const xt = ticks(xMax, 8)
    .map((v) => `<text x="${x(v)}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(v)}</text>`)
    .join('');
  const keys = legend
    .map(
      ([name, color], i) =>
        `<rect x="${M.left + pw + 14}" y="${M.top + i * 18}" width="12" height="12" fill="${color}"/><text x="${M.left + pw + 32}" y="${M.top + i * 18 + 10}">${esc(name)}</text>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid}${xt}<text x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text>${body(x, y)}<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>${keys}</svg></figure>`;
}

/** One chart of lines over shared x values; a series may be dashed (e.g. a bound). `extra` is drawn on top, Y(v) in it is replaced by v's y. */
export function lines(title: string, xs: number[], series: Series[], xLabel: string, extra = ''): string {
  const yMax = Math.max(1, ...series.flatMap((s) => s.values));
  const legend = series.map((s, i) => [s.name, COLORS[i % COLORS.length]!] as [string, string]);
  return frame(
    title,
    xs.at(-1) ?? 1,
    yMax,
    xLabel,
    legend,
    (x, y) =>
      series
        .map(
          (s, i) =>
            `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${s.values.map((v, j) => `${x(xs[j]!).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
        )
        .join('') + extra.replace(/Y\(([\d.]+)\)/g, (_, v) => y(Number(v)).toFixed(1)),
  );
}

/** Stacked bars, one stack per x value. */
export function stackedBars(title: string, xs: number[], series: Series[], xLabel: string): string {
  const totals = xs.map((_, j) => series.reduce((s, x) => s + x.values[j]!, 0));
  const yMax = Math.max(1, ...totals);
  const legend = series.map((s, i) => [s.name, COLORS[i % COLORS.length]!] as [string, string]);
  const step = xs.length > 1 ? xs[1]! - xs[0]! : (xs[0] ?? 1);
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
