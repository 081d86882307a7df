// Scenario events: ONE registry. An event's TypeScript type, its validation (field by field, with
// the field path in every message) and its dispatch (what it does to the workload or to the host)
// are all derived from its entry below, so a new event is one entry here and nothing else.
//
// Two kinds of event:
//   workload  changes the connections themselves (a burst of arrivals, the application closing
//             some): part of the workload stream, so the oracle and every policy see the same ones
//   host      happens to the host or the target (a link going down, a pause, upload requests):
//             the oracle ignores these, by its definition

import type { HostStack } from '../host/stack.js';
import type { LabTarget } from './run.js';
import type { OffloadTable } from '../table/table.js';
import { State, UploadReason } from '../table/enums.js';
import { type Problems, show } from './fields.js';

/** What a host event may act on. */
export interface HostControl {
  readonly host: HostStack;
  readonly target: LabTarget;
  readonly table: OffloadTable;
  /** The run's seeded generator (events that pick at random must replay). */
  random(): number;
  /** Handles of connections the target holds now, in a deterministic order. */
  offloadedConnections(): ArrayLike<number>;
  /** Something failed that is not the scenario's fault; counted in the run's errors. */
  report(message: string): void;
}

/** What a workload event may act on. */
export interface WorkloadControl {
  /** Opens `count` connections now, at `priority`. */
  burst(count: number, priority: number): void;
  /** Closes `count` connections alive now, chosen at random, at the end of this tick. */
  close(count: number): void;
}

/** How a field is read; its TypeScript type follows from the kind. */
type FieldKind = 'interface' | 'optionalInterface' | 'count' | 'priority' | 'uploadReason';
type FieldValue<K extends FieldKind> = K extends 'uploadReason' ? keyof typeof UploadReason : number;
type Values<F extends Record<string, FieldKind>> = { [N in keyof F as F[N] extends 'optionalInterface' ? never : N]: FieldValue<F[N]> } & {
  [N in keyof F as F[N] extends 'optionalInterface' ? N : never]?: number;
};

interface EventSpec<F extends Record<string, FieldKind>> {
  readonly description: string;
  readonly fields: F;
  readonly workload?: (w: WorkloadControl, e: Values<F>) => void;
  readonly host?: (h: HostControl, e: Values<F>) => void;
}
const event = <F extends Record<string, FieldKind>>(spec: EventSpec<F>) => spec;

/** Upper bound of a count field: more than one machine simulates in one tick anyway. */
export const MAX_EVENT_COUNT = 10_000_000;

/** Picks up to `count` entries of `from` at random (partial Fisher-Yates on a copy). */
function pick(from: ArrayLike<number>, count: number, random: () => number): number[] {
  const a = Array.from(from);
  const n = Math.min(count, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

const settle = (h: HostControl, what: string, p: Promise<unknown>) => void p.catch((error) => h.report(`${what}: ${String(error)}`));

export const EVENTS = {
  burst: event({
    description: 'opens `count` connections at once with `priority` (0..255, higher wins)',
    fields: { count: 'count', priority: 'priority' },
    workload: (w, e) => w.burst(e.count, e.priority),
  }),
  close: event({
    description: 'the application closes `count` connections chosen at random (offloaded ones are terminated, Reason.Application)',
    fields: { count: 'count' },
    workload: (w, e) => w.close(e.count),
  }),
  linkDown: event({
    description: "interface `ifIndex`'s link goes down (the target reports it; the host terminates after policy.mediaDisconnectGraceMs)",
    fields: { ifIndex: 'interface' },
    host: (h, e) => h.target.linkDown(e.ifIndex),
  }),
  linkUp: event({
    description: "interface `ifIndex`'s link comes back",
    fields: { ifIndex: 'interface' },
    host: (h, e) => h.target.linkUp(e.ifIndex),
  }),
  invalidateNeighbor: event({
    description: 'the host invalidates one offloaded neighbor on `ifIndex`, chosen at random (Reason.Invalidated)',
    fields: { ifIndex: 'interface' },
    host: (h, e) => {
      const live = Array.from(h.table.neighborsOn(e.ifIndex)).filter((n) => h.table.state(n) === State.Offloaded && !h.table.pending(n));
      if (live.length) settle(h, 'invalidate', h.host.invalidate(live[Math.floor(h.random() * live.length)]!));
    },
  }),
  pause: event({
    description: 'NetEventPause: everything (or one interface, `ifIndex`) comes back, no new offloads until restart',
    fields: { ifIndex: 'optionalInterface' },
    host: (h, e) => settle(h, 'pause', h.host.pause(e.ifIndex)),
  }),
  restart: event({
    description: 'offloads may start again after pause or powerTransition',
    fields: {},
    host: (h) => h.host.restart(),
  }),
  uploadAll: event({
    description: 'the target asks for everything back (Reason.TargetRequested); no offloads until offloadResume',
    fields: {},
    host: (h) => h.target.requestUploadAll(),
  }),
  offloadPause: event({
    description: 'the target pauses new offloads; nothing is terminated',
    fields: {},
    host: (h) => h.target.pauseOffload(),
  }),
  offloadResume: event({
    description: 'the target accepts offloads again',
    fields: {},
    host: (h) => h.target.resumeOffload(),
  }),
  powerTransition: event({
    description: 'a power transition: everything comes back (Reason.PowerTransition), no offloads until restart',
    fields: {},
    host: (h) => settle(h, 'powerTransition', h.host.powerTransition()),
  }),
  uploadRequests: event({
    description: 'the target asks for `count` offloaded connections, chosen at random, with UploadReason `reason`',
    fields: { count: 'count', reason: 'uploadReason' },
    host: (h, e) => {
      for (const c of pick(h.offloadedConnections(), e.count, h.random)) h.target.requestUpload(c, UploadReason[e.reason]);
    },
  }),
};

export type EventType = keyof typeof EVENTS;
/** A scenario event, as read from a scenario file. */
export type ScenarioEvent = { [K in EventType]: { atMs: number; type: K } & Values<(typeof EVENTS)[K]['fields']> }[EventType];

export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

/** Whether the event belongs to the workload stream (the oracle sees it) or happens to the host. */
export const isWorkloadEvent = (e: ScenarioEvent): boolean => EVENTS[e.type].workload !== undefined;

/** Carries out a workload event. */
export function dispatchWorkload(w: WorkloadControl, e: ScenarioEvent): void {
  (EVENTS[e.type].workload as ((w: WorkloadControl, e: ScenarioEvent) => void) | undefined)?.(w, e);
}

/** Carries out a host event. */
export function dispatchHost(h: HostControl, e: ScenarioEvent): void {
  (EVENTS[e.type].host as ((h: HostControl, e: ScenarioEvent) => void) | undefined)?.(h, e);
}

/** Reads `events` of a scenario: every problem goes to `problems` with its field path. */
/** Events per scenario: a scripted day at one event a second fits. */
export const MAX_EVENTS = 100_000;

export function readEvents(input: unknown, problems: Problems, limits: { durationMs: number; interfaces: ReadonlySet<number> }): ScenarioEvent[] {
  const out: ScenarioEvent[] = [];
  if (input === undefined) return out;
  if (!Array.isArray(input)) {
    problems.fail('events', `must be an array, got ${show(input)}`);
    return out;
  }
  if (input.length > MAX_EVENTS) {
    problems.fail('events', `at most ${MAX_EVENTS.toLocaleString('en-US')} events, got ${input.length.toLocaleString('en-US')}`);
    return out;
  }
  input.forEach((v, i) => {
    const f = `events[${i}]`;
    const type = (v as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !(type in EVENTS)) {
      problems.fail(`${f}.type`, `must be one of ${EVENT_TYPES.join(', ')}, got ${show(type)}`);
      return;
    }
    const spec = EVENTS[type as EventType];
    const fields = spec.fields as Record<string, FieldKind>;
    const o = problems.object(v, f, ['atMs', 'type', ...Object.keys(fields)]);
    const e: Record<string, unknown> = { atMs: problems.int(o.atMs, `${f}.atMs`, 0, limits.durationMs), type };
    for (const [name, kind] of Object.entries(fields)) {
      const field = `${f}.${name}`;
      const value = o[name];
      if (kind === 'optionalInterface' && value === undefined) continue;
      if (kind === 'interface' || kind === 'optionalInterface') {
        const ifIndex = problems.int(value, field, 0, 2 ** 32 - 1);
        if (Number.isInteger(value) && !limits.interfaces.has(ifIndex)) problems.fail(field, `interface ${ifIndex} is not in "interfaces"`);
        e[name] = ifIndex;
      } else if (kind === 'count') e[name] = problems.int(value, field, 1, MAX_EVENT_COUNT);
      else if (kind === 'priority') e[name] = problems.int(value, field, 0, 255);
      else {
        if (typeof value !== 'string' || !(value in UploadReason) || !Number.isNaN(Number(value))) {
          problems.fail(field, `must be an UploadReason name such as "HardwareFailure", got ${show(value)}`);
        }
        e[name] = value;
      }
    }
    out.push(e as ScenarioEvent);
  });
  // Stable: events at the same time happen in file order.
  return out.sort((a, b) => a.atMs - b.atMs);
}
