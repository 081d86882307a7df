// Where a run's workload comes from, as data that can cross to a worker thread: one entry per kind
// of WorkloadSource. simulate and compare never know which one they run.

import { basename } from 'node:path';
import type { RunSetup } from '../sim/run.js';
import type { Scenario } from '../sim/scenario.js';
import type { WorkloadSource } from '../sim/source.js';
import { SyntheticWorkload } from '../sim/workload.js';
import { openTraceWorkload } from '../trace/workload.js';

export type SourceSpec = { kind: 'scenario'; scenario: Scenario; cdf: [number, number][] } | { kind: 'trace'; file: string; tickMs: number };

const SOURCES: { [K in SourceSpec['kind']]: (spec: Extract<SourceSpec, { kind: K }>) => WorkloadSource | Promise<WorkloadSource> } = {
  scenario: (spec) => new SyntheticWorkload(spec.scenario, spec.cdf),
  trace: (spec) => openTraceWorkload(spec.file, { tickMs: spec.tickMs }),
};

/** A fresh source, read from tick 0. */
export function openSource(spec: SourceSpec): WorkloadSource | Promise<WorkloadSource> {
  return SOURCES[spec.kind](spec as never);
}

/**
 * The workload of a command: the scenario's, or a recorded trace (`--trace FILE`) replayed at the
 * scenario's tickMs; the scenario still gives the target and the host's knobs. A trace is opened
 * once here, so a file that is not a trace is refused before anything runs.
 */
export async function chooseSource(
  scenario: Scenario,
  cdf: [number, number][],
  trace: string | undefined,
): Promise<{ spec: SourceSpec; setup: RunSetup; name: string } | { problem: string }> {
  if (trace === undefined) return { spec: { kind: 'scenario', scenario, cdf }, setup: scenario, name: scenario.name };
  try {
    const w = await openTraceWorkload(trace, { tickMs: scenario.tickMs });
    w.close();
  } catch (error) {
    return { problem: `--trace: ${(error as Error).message}` };
  }
  // The scenario's events name its own interfaces and connections: they do not apply to a trace.
  return { spec: { kind: 'trace', file: trace, tickMs: scenario.tickMs }, setup: { ...scenario, events: [] }, name: `trace ${basename(trace)}` };
}
