// Reading a target's answer: one result per block of the call, each read once into a plain copy
// (a target's getters or proxies cannot change it afterwards). Results for handles not in the
// call, second results for a block, entries that are not results, and blocks with no result are
// reported, never fatal; the caller decides what a block with no result means.

import type { DelegatedState, Segment, TerminateResult } from '../target/offload-target.js';
import { describe, type FaultReport } from './target-calls.js';

/** A result as the host keeps it: read once from the target's answer. */
export interface ReadResult {
  ok: boolean;
  error?: string;
  delegated?: unknown;
  received?: unknown;
  unacknowledged?: unknown;
}

/**
 * The results of a call for `handles` (distinct), by position: entry i is the result for
 * handles[i], undefined if the target gave none. Undefined (reported as malformed) when the answer
 * is not a list. `what` names the call in messages.
 */
export function readResults(
  what: string,
  handles: ArrayLike<number>,
  answer: unknown,
  reportAll: (f: FaultReport) => void,
): (ReadResult | undefined)[] | undefined {
  // A target that gets a whole answer wrong gets a few precise reports and a count, not a flood.
  const seen = new Map<string, number>();
  const report = (f: FaultReport) => {
    const n = (seen.get(f.fault) ?? 0) + 1;
    seen.set(f.fault, n);
    if (n <= REPORTS_PER_FAULT) reportAll(f);
  };
  try {
    return readAll(what, handles, answer, report);
  } finally {
    for (const [fault, n] of seen) {
      if (n > REPORTS_PER_FAULT)
        reportAll({
          fault: fault as FaultReport['fault'],
          message: `the target's ${what} answer had ${n - REPORTS_PER_FAULT} more faults like the ones above (${fault})`,
        });
    }
  }
}

/** Reports per fault kind and call before the rest are only counted. */
const REPORTS_PER_FAULT = 5;

function readAll(what: string, handles: ArrayLike<number>, answer: unknown, report: (f: FaultReport) => void): (ReadResult | undefined)[] | undefined {
  const n = handles.length;
  const out: (ReadResult | undefined)[] = new Array(n).fill(undefined);
  // Targets answer in the order of the call: entry i is matched to handles[i] without a lookup;
  // an answer in another order is matched through a map of positions, made when first needed.
  let positions: Map<number, number> | undefined;
  try {
    if (!Array.isArray(answer)) {
      report({ fault: 'malformed', message: `the target's ${what} answered ${describe(answer)}, not a list of results` });
      return undefined;
    }
    const m = answer.length;
    for (let i = 0; i < m; i++) {
      const entry: unknown = answer[i];
      const handle = entry !== null && typeof entry === 'object' ? (entry as { handle?: unknown }).handle : undefined;
      if (typeof handle !== 'number') {
        report({ fault: 'malformed', message: `the target's ${what} answered entry ${i} (${describe(entry)}) without a handle; ignored` });
        continue;
      }
      let at = i < n && handles[i] === handle ? i : -1;
      if (at < 0) {
        if (!positions) {
          positions = new Map();
          for (let j = n - 1; j >= 0; j--) positions.set(handles[j]!, j);
        }
        at = positions.get(handle) ?? -1;
      }
      if (at < 0) {
        report({ fault: 'unknown', handle, message: `the target's ${what} answered for handle ${handle}, which was not in the call; ignored` });
        continue;
      }
      if (out[at]) {
        report({ fault: 'duplicate', handle, message: `the target's ${what} answered twice for handle ${handle}; the first answer counts` });
        continue;
      }
      const r = entry as TerminateResult;
      const error = r.error;
      const result: ReadResult = { ok: r.ok === true, delegated: r.delegated, received: r.received, unacknowledged: r.unacknowledged };
      if (error !== undefined) result.error = String(error);
      out[at] = result;
    }
  } catch (error) {
    report({ fault: 'malformed', message: `the target's ${what} answer could not be read: ${describe(error)}`, error });
    return undefined;
  }
  for (let i = 0; i < n; i++) {
    if (!out[i]) report({ fault: 'missing', handle: handles[i]!, message: `the target's ${what} answered nothing for handle ${handles[i]}` });
  }
  return out;
}

const DELEGATED_NUMBERS = ['sndUna', 'sndNxt', 'rcvNxt', 'sndWnd', 'cWnd', 'ssThresh', 'sRtt', 'rttVar'] as const;

/** What a terminated connection handed back, checked and copied. */
export interface ReturnedState {
  delegated: DelegatedState;
  received: Segment[];
  unacknowledged: Segment[];
}

/**
 * What a terminated connection handed back, checked and copied; undefined when it did not come
 * back (no successful result, or delegated state or data that are not what the interface says).
 */
export function returnedState(r: ReadResult | undefined): ReturnedState | undefined {
  if (!r?.ok) return undefined;
  try {
    const d = r.delegated as Record<string, unknown> | null | undefined;
    if (d === null || typeof d !== 'object') return undefined;
    const delegated = {} as Record<string, unknown>;
    for (const name of DELEGATED_NUMBERS) {
      const v = d[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
      delegated[name] = v;
    }
    const t = d.timers as Record<string, unknown> | null | undefined;
    const timer = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    delegated.timers =
      t !== null && typeof t === 'object'
        ? { retransmit: timer(t.retransmit), keepalive: timer(t.keepalive), delayedAck: timer(t.delayedAck) }
        : { retransmit: null, keepalive: null, delayedAck: null };
    const received = segments(r.received);
    const unacknowledged = segments(r.unacknowledged);
    if (!received || !unacknowledged) return undefined;
    return { delegated: delegated as unknown as DelegatedState, received, unacknowledged };
  } catch {
    return undefined;
  }
}

/** A list of segments copied, [] for none; undefined if it is not one. */
function segments(value: unknown): Segment[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const out: Segment[] = [];
  for (const s of value as unknown[]) {
    const seq = (s as Segment | null)?.seq;
    const length = (s as Segment | null)?.length;
    if (typeof seq !== 'number' || typeof length !== 'number' || !Number.isFinite(seq) || !(length >= 0 && Number.isFinite(length))) return undefined;
    out.push({ seq, length });
  }
  return out;
}

/**
 * What the nothing-lost check reads of a handed-back connection (src/host/engine.ts): the sequence
 * numbers and each queue's bytes, without a copy of the state or its segments.
 */
export interface ReturnedNumbers {
  sndUna: number;
  sndNxt: number;
  rcvNxt: number;
  /** Bytes of the unacknowledged queue, -1 if it does not run from sndUna without gap or empty segment. */
  unacknowledged: number;
  /** Bytes of the received queue, -1 if it has a gap or an empty segment. */
  buffered: number;
  /** Where the received queue ends (seq + length of its last segment), 0 if it is empty. */
  receivedEnd: number;
}

/**
 * The numbers of what a terminated connection handed back: undefined exactly when returnedState
 * is (the same checks, each value read once, in the same order), but one small object instead of
 * a copy of the state, its timers and its segments; this runs for every connection terminated.
 */
export function returnedNumbers(r: ReadResult | undefined): ReturnedNumbers | undefined {
  if (!r?.ok) return undefined;
  try {
    const d = r.delegated as Record<string, unknown> | null | undefined;
    if (d === null || typeof d !== 'object') return undefined;
    // The names of DELEGATED_NUMBERS, in its order, as named reads: a loop over the names makes
    // each read a keyed lookup by string, the slow kind of property read.
    const sndUna = d.sndUna;
    if (!finite(sndUna)) return undefined;
    const sndNxt = d.sndNxt;
    if (!finite(sndNxt)) return undefined;
    const rcvNxt = d.rcvNxt;
    if (!finite(rcvNxt) || !finite(d.sndWnd) || !finite(d.cWnd) || !finite(d.ssThresh) || !finite(d.sRtt) || !finite(d.rttVar)) return undefined;
    // Read as returnedState reads them (a getter that throws makes the state not come back).
    const t = d.timers as Record<string, unknown> | null | undefined;
    if (t !== null && typeof t === 'object') void (t.retransmit, t.keepalive, t.delayedAck);
    const received = queueBytes(r.received, undefined);
    if (received === undefined) return undefined;
    const buffered = QUEUE.bytes;
    const receivedEnd = QUEUE.end;
    if (queueBytes(r.unacknowledged, sndUna) === undefined) return undefined;
    return { sndUna, sndNxt, rcvNxt, unacknowledged: QUEUE.bytes, buffered, receivedEnd };
  } catch {
    return undefined;
  }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** queueBytes' answer (one reused object: no allocation per queue). */
const QUEUE = { bytes: 0, end: 0 };

/**
 * Reads a queue of segments as segments() does (undefined if it is not one) and sets QUEUE: its
 * bytes (-1 if they do not follow each other without gap from `start`, or the first segment's
 * seq without a start, or a segment is empty) and where its last segment ends (0 if empty).
 */
function queueBytes(value: unknown, start: number | undefined): true | undefined {
  QUEUE.bytes = 0;
  QUEUE.end = 0;
  if (value === undefined) return true;
  if (!Array.isArray(value)) return undefined;
  let next = start;
  let total = 0;
  let end = 0;
  for (const s of value as unknown[]) {
    const seq = (s as Segment | null)?.seq;
    const length = (s as Segment | null)?.length;
    if (typeof seq !== 'number' || typeof length !== 'number' || !Number.isFinite(seq) || !(length >= 0 && Number.isFinite(length))) return undefined;
    if (next === undefined) next = seq;
    if (total >= 0) {
      if (seq !== next || !(length > 0)) total = -1;
      else {
        next += length;
        total += length;
      }
    }
    end = seq + length;
  }
  QUEUE.bytes = total;
  QUEUE.end = end;
  return true;
}
