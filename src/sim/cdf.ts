// Flow-size distributions: piecewise-linear CDFs of [bytes, percent] points (scenarios/*.cdf).

import { cdfProblem } from './scenario.js';

/** Draws a flow size (at least 1 byte) from a piecewise-linear CDF, given u in [0, 1). */
export function sampleCdf(cdf: readonly (readonly [number, number])[], u: number): number {
  const p = u * 100;
  for (let i = 1; i < cdf.length; i++) {
    const [x1, y1] = cdf[i]!;
    if (p <= y1) {
      const [x0, y0] = cdf[i - 1]!;
      return Math.max(1, Math.round(y1 === y0 ? x1 : x0 + ((x1 - x0) * (p - y0)) / (y1 - y0)));
    }
  }
  return Math.max(1, cdf[cdf.length - 1]![0]);
}

/** Parses a .cdf file: "<bytes> <percent>" per line; throws naming the first bad line. */
export function parseCdf(text: string): [number, number][] {
  const points = text
    .trim()
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line, i) => {
      const [x, y, extra] = line.trim().split(/\s+/).map(Number);
      if (!Number.isFinite(x) || !Number.isFinite(y) || x! < 0 || y! < 0 || extra !== undefined)
        throw new Error(`line ${i + 1} is not "<bytes> <percent>": ${JSON.stringify(line)}`);
      return [x!, y!] as [number, number];
    });
  if (points.length < 2) throw new Error('a CDF needs at least two points');
  const problem = cdfProblem(points);
  if (problem) throw new Error(problem);
  return points;
}
