// One run of the lab: a workload (any WorkloadSource) through a HostStack with one offload policy
// and a SimulatedTarget of one capacity, tick by tick. Every connection lives in the host from its
// open to its close; the host counts each byte as offloaded or software. Browser-safe (the demo
// runs it in the page).
//
// A tick, in order:  host events due (link, pause, upload requests...)  ->  open(arrivals)
//   -> traffic(one-off bytes of this tick)  ->  steady(rate changes)  ->  close(connections that end)
//   -> tick(end of the tick; it counts the standing rates first)
// so a connection opened in a tick moves its first bytes in software (no policy sees it before
// the host's tick); the oracle, with its instant installs, counts them offloaded.

import { OffloadTable } from '../table/table.js';
import { invalid } from '../table/errors.js';
import { typeName } from '../table/address.js';
import { HostStack } from '../host/stack.js';
import { SimulatedTarget, type SimulatedTargetOptions } from '../target/simulated-target.js';
import type { OffloadTarget } from '../target/offload-target.js';
import { isClock } from '../target/clock.js';
import { describe } from '../host/target-calls.js';
import { seededRandom } from '../util/random.js';
import { ConnectionStatus, type ConnectionColumns, type OffloadPolicy } from '../host/policy.js';
import type { HostMetrics } from '../host/metrics.js';
import { dispatchHost, isWorkloadEvent, type HostControl, type ScenarioEvent } from './events.js';
import { Oracle } from './oracle.js';
import { oracleFigures, summarize, Timeline, type RunResult, type Sample } from './metrics.js';
import type { Scenario } from './scenario.js';
import type { WorkloadSource } from './source.js';
import { createTickBatch } from './tick-batch.js';
import { grown } from '../util/grown.js';

/**
 * The target of a run: an OffloadTarget on the host's clock that a scenario's events can poke
 * (SimulatedTarget, or simulate's TargetThread running one on a worker thread).
 */
export type LabTarget = OffloadTarget &
  Pick<SimulatedTarget, 'clock' | 'linkDown' | 'linkUp' | 'requestUpload' | 'requestUploadAll' | 'pauseOffload' | 'resumeOffload' | 'setCapacity'> & {
    /** Completes every call in flight (the clock does not move). */
    flush(): void | Promise<void>;
    /** Resolves once every completion due at the clock's time has reached the host (a target that answers from another thread). */
    idle?(): Promise<void>;
    /**
     * The clock moves to `now` next: runLab calls it just before the host's tick, whose first
     * step (counting standing traffic) passes the target only standing-rate changes before the
     * clock moves. A target that answers from another thread may complete the calls due by `now` now.
     */
    prepare?(now: number): void;
    /** Ends the target (its thread); called once the run is over. */
    close?(): void | Promise<void>;
  };

/** What the target and the host are, for a run: a scenario's target, host knobs and host events. */
export type RunSetup = Pick<Scenario, 'seed' | 'target' | 'policy' | 'wasteThresholdBytes' | 'events'>;

export interface RunOptions {
  source: WorkloadSource;
  setup: RunSetup;
  /** The target's capacity (default: the setup's). */
  capacity?: number;
  policy: OffloadPolicy;
  /** Also run the oracle at this capacity alongside, and fill in oracleRatio. */
  oracle?: boolean;
  /** Called about every 200 ms of wall time. */
  onProgress?: (p: { tick: number; ticks: number; atMs: number }) => void;
  /** Called at every timeline sample. */
  onSample?: (sample: Sample, timeline: readonly Sample[], metrics: HostMetrics) => void;
  /** Called after every tick (the host has settled): a live page paces the run here. */
  yieldEvery?: () => Promise<void>;
  /** Host events pushed here (by buttons on a page) happen at the next tick; their atMs is ignored. */
  control?: ScenarioEvent[];
  /**
   * Makes the run's target from the options a SimulatedTarget would get (default: a SimulatedTarget).
   * It must behave exactly like one for the figures to be the run's (simulate's TargetThread does).
   */
  target?: (options: SimulatedTargetOptions) => LabTarget;
  /** Timeline samples per run (default 60; each one costs a HostStack.metrics() call, which sorts every time-to-offload so far). */
  samples?: number;
}

/** What runLab calls on its target besides the OffloadTarget's calls (HostStack.create checks those). */
const LAB_TARGET_METHODS = ['flush', 'linkDown', 'linkUp', 'requestUpload', 'requestUploadAll', 'pauseOffload', 'resumeOffload', 'setCapacity'] as const;
/** What runLab calls on its target if it has them. */
const LAB_TARGET_OPTIONAL = ['prepare', 'idle', 'close'] as const;

/** The target a RunOptions.target made, checked: everything runLab and a scenario's events call on it. */
async function checkLabTarget(target: unknown): Promise<LabTarget> {
  const t = target as Partial<LabTarget> | null;
  if (t === null || typeof t !== 'object') invalid(`runLab: options.target must return a target (a SimulatedTarget or the like), got ${typeName(target)}`);
  const missing: string[] = LAB_TARGET_METHODS.filter((name) => typeof t[name] !== 'function');
  if (!isClock(t.clock)) missing.push('clock');
  // Optional, but called if there: one that is not a function would be a TypeError mid-run.
  const broken = LAB_TARGET_OPTIONAL.filter((name) => t[name] !== undefined && typeof t[name] !== 'function');
  if (missing.length || broken.length) {
    const what = [missing.length ? `no ${missing.join(', ')}` : '', broken.length ? `a ${broken.join(', ')} that is not a function` : ''];
    const problem = `runLab: the target options.target made has ${what.filter(Boolean).join(' and ')} (a run needs what SimulatedTarget has)`;
    // runLab made it, so runLab ends it: a target on a thread of its own would outlive the refusal.
    if (typeof t.close === 'function') {
      try {
        await t.close();
      } catch {}
    }
    invalid(problem);
  }
  return t as LabTarget;
}

/** Every problem with runLab's options at once, as one OffloadError(InvalidArgument). */
function checkRunOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') invalid(`runLab: expected { source, setup, policy }, got ${typeName(options)}`);
  const { source, setup, policy, capacity, target } = options as Partial<RunOptions>;
  const problems: string[] = [];
  if (source === null || typeof source !== 'object' || typeof source.next !== 'function' || !(source.tickMs > 0) || !(source.ticks >= 0))
    problems.push(`source must be a WorkloadSource ({ name, tickMs, ticks, next }: a SyntheticWorkload or openTraceWorkload's), got ${typeName(source)}`);
  if (setup === null || typeof setup !== 'object' || setup.target === null || typeof setup.target !== 'object' || !Array.isArray(setup.events))
    problems.push(`setup must be a scenario from readScenario (or its { seed, target, policy, wasteThresholdBytes, events }), got ${typeName(setup)}`);
  if (policy === null || typeof policy !== 'object' || typeof policy.tick !== 'function')
    problems.push(`policy must be an OffloadPolicy ({ name, tick }), such as policies.eager.create(), got ${typeName(policy)}`);
  if (capacity !== undefined && !(Number.isInteger(capacity) && capacity >= 0))
    problems.push(`capacity must be an integer of at least 0, got ${typeName(capacity)}`);
  if (target !== undefined && typeof target !== 'function')
    problems.push(`target must be a function that makes the run's target from SimulatedTarget options, got ${typeName(target)}`);
  if (problems.length) invalid(`runLab: ${problems.join('; ')}`);
}

export async function runLab(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  checkRunOptions(options);
  const { setup } = options;
  const capacity = options.capacity ?? setup.target.capacity;
  const table = await OffloadTable.create();
  const targetOptions: SimulatedTargetOptions = { capacity, latencyMs: setup.target.latencyMs, seed: (setup.seed + 1) >>> 0, faults: setup.target.faults };
  const target: LabTarget = options.target ? await checkLabTarget(options.target(targetOptions)) : new SimulatedTarget(targetOptions);
  try {
    return await run(options, table, target, capacity, started);
  } finally {
    await target.close?.();
  }
}

async function run(options: RunOptions, table: OffloadTable, target: LabTarget, capacity: number, started: number): Promise<RunResult> {
  const { source, setup, policy } = options;
  const host = await HostStack.create({ target, table, policy: { ...setup.policy, offload: policy }, wasteThresholdBytes: setup.wasteThresholdBytes });

  const errors = { count: 0, first: [] as string[] };
  const report = (message: string) => {
    errors.count++;
    if (errors.first.length < 10) errors.first.push(message);
  };
  host.on('error', (e) => report(e.message));
  const control: HostControl = {
    host,
    target,
    table,
    random: seededRandom((setup.seed ^ 0x9e3779b9) >>> 0),
    offloadedConnections: () => offloadedHandles(host.connections),
    report,
  };
  const events = setup.events.filter((e) => !isWorkloadEvent(e));
  let nextEvent = 0;
  const oracle = options.oracle ? new Oracle([capacity]) : undefined;
  const timeline = new Timeline(source.ticks, options.samples ?? 60);
  const batch = createTickBatch();
  // The host's id of each source id; a source that takes tags (WorkloadSource.tag) hands the host's
  // ids back with its traffic, so only a connection's first tick needs this lookup.
  let hostIds: Float64Array = new Float64Array(1024);
  const tagging = typeof source.tag === 'function';
  let ids: Float64Array = new Float64Array(1024);
  // Standing bytes per tick of each source id, and their sum: what the rates add to totalBytes.
  let standing: Float64Array = new Float64Array(1024);
  let standingPerTick = 0;
  let totalBytes = 0;
  let connections = 0;
  let lastProgress = 0;
  let tick = 0;

  const prepare = target.prepare;
  host.tick(0);
  try {
    for (let more = true; more; tick++) {
      more = await source.next(tick, batch);
      const end = (tick + 1) * source.tickMs;
      if (options.control?.length) {
        for (const e of options.control.splice(0)) {
          if (isWorkloadEvent(e)) report(`${e.type} is a workload event: push it to the workload (SyntheticWorkload.push), not to control`);
          else dispatchHost(control, e);
        }
      }
      while (nextEvent < events.length && events[nextEvent]!.atMs < end) dispatchHost(control, events[nextEvent++]!);

      const { opened, traffic, closed } = batch;
      if (opened.count) {
        const got = host.open(opened);
        connections += opened.count;
        for (let i = 0; i < opened.count; i++) {
          const id = opened.id[i]!;
          if (id >= hostIds.length) hostIds = grown(hostIds, id + 1);
          hostIds[id] = got[i]!;
        }
        if (tagging) source.tag!(opened.id, got, opened.count);
      }
      if (traffic.count) {
        if (ids.length < traffic.count) ids = new Float64Array(traffic.count * 2);
        const tags = tagging ? traffic.tag : undefined;
        const sent = traffic.sent;
        const received = traffic.received;
        let bytes = 0;
        for (let i = 0; i < traffic.count; i++) {
          let h = tags ? tags[i]! : 0;
          if (!h) {
            h = hostIds[traffic.id[i]!]!;
            if (!h)
              throw new Error(
                `workload ${source.name}, tick ${tick}: traffic for connection ${traffic.id[i]}, which is not open (a bug in the workload source)`,
              );
          }
          ids[i] = h;
          bytes += sent[i]! + received[i]!;
        }
        totalBytes += bytes;
        host.traffic(ids, traffic.sent, traffic.received, traffic.count);
      }
      const rates = batch.rates!;
      if (rates.count) {
        if (ids.length < rates.count) ids = new Float64Array(rates.count * 2);
        for (let i = 0; i < rates.count; i++) {
          const id = rates.id[i]!;
          const h = hostIds[id];
          if (!h) throw new Error(`workload ${source.name}, tick ${tick}: a rate for connection ${id}, which is not open (a bug in the workload source)`);
          ids[i] = h;
        }
        host.steady(ids, rates.sent, rates.received, rates.count);
        // Only once the host took them (it checks the bytes).
        for (let i = 0; i < rates.count; i++) {
          const id = rates.id[i]!;
          if (id >= standing.length) standing = grown(standing, id + 1);
          const b = rates.sent[i]! + rates.received[i]!;
          standingPerTick += b - standing[id]!;
          standing[id] = b;
        }
      }
      oracle?.observe(batch);
      if (closed.count) {
        if (ids.length < closed.count) ids = new Float64Array(closed.count * 2);
        for (let i = 0; i < closed.count; i++) {
          const h = hostIds[closed.id[i]!];
          if (!h) throw new Error(`workload ${source.name}, tick ${tick}: closes connection ${closed.id[i]}, which is not open (a bug in the workload source)`);
          ids[i] = h;
          hostIds[closed.id[i]!] = 0;
        }
        host.close(ids, closed.count);
        // A close stops a rate.
        for (let i = 0; i < closed.count; i++) {
          const id = closed.id[i]!;
          if (id < standing.length && standing[id]) {
            standingPerTick -= standing[id]!;
            standing[id] = 0;
          }
        }
      }
      totalBytes += standingPerTick;
      if (prepare) {
        // Only a head start for the target: one that throws is reported, and the run goes on.
        try {
          prepare.call(target, end);
        } catch (error) {
          report(`the target's prepare threw: ${describe(error)}`);
        }
      }
      host.tick(end);
      // The target completed what was due at `end`; its completions reach the host's columns now.
      await target.idle?.();
      await host.settle();

      if (timeline.due(tick) || !more) {
        const m = host.metrics();
        const s = timeline.add(end, m);
        options.onSample?.(s, timeline.samples, m);
      }
      if (options.yieldEvery) await options.yieldEvery();
      const t = performance.now();
      if (options.onProgress && t - lastProgress > 200) {
        lastProgress = t;
        options.onProgress({ tick, ticks: source.ticks, atMs: end });
      }
    }
  } finally {
    await source.close?.();
  }
  // Let what is in flight land (the clock stays at the end of the run); a completion may start
  // more (a path whose last connection went), hence a few rounds.
  for (let round = 0; round < 10 && host.status().inFlight > 0; round++) {
    await target.flush();
    await target.idle?.();
    await host.settle();
  }

  let check = 'ok';
  try {
    table.check();
  } catch (error) {
    check = String((error as Error).message);
  }
  const durationMs = tick * source.tickMs;
  return summarize({
    policy: policy.name,
    capacity,
    metrics: host.metrics(),
    totalBytes,
    connections,
    durationMs,
    check,
    errors,
    wallMs: performance.now() - started,
    timeline: timeline.samples,
    oracle: oracle && oracleFigures(oracle.summary(durationMs).results[0]!),
  });
}

/** Handles of the connections the target holds, in slot order (deterministic). */
function offloadedHandles(c: ConnectionColumns): number[] {
  const out: number[] = [];
  for (let s = 0; s < c.length; s++) if (c.status[s] === ConnectionStatus.Offloaded) out.push(c.handle[s]!);
  return out;
}
