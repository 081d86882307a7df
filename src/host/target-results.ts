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
 * The results of a call for `handles`, by handle; undefined (reported as malformed) when the
 * answer is not a list. `what` names the call in messages.
 */
export function readResults(
  what: string,
  handles: ArrayLike<number>,
  answer: unknown,
  reportAll: (f: FaultReport) => void,
): Map<number, ReadResult> | undefined {
  // A target that gets a whole answer wrong gets a few precise reports and a count, not a flood.
  const seen = new Map<string, number>();
  const report = (f: FaultReport) => {
    const n = (seen.get(f.fault) ?? 0) + 1;
    seen.set(f.fault, n);
    if (n <= REPORTS_PER_FAULT) reportAll(f);
  };
  const summarize = () => {
    for (const [fault, n] of seen) {
      if (n > REPORTS_PER_FAULT)
        reportAll({
          fault: fault as FaultReport['fault'],
          message: `the target's ${what} answer had ${n - REPORTS_PER_FAULT} more faults like the ones above (${fault})`,
        });
    }
  };
  try {
    return readAll(what, handles, answer, report);
  } finally {
    summarize();
  }
}

/** Reports per fault kind and call before the rest are only counted. */
const REPORTS_PER_FAULT = 5;

function readAll(what: string, handles: ArrayLike<number>, answer: unknown, report: (f: FaultReport) => void): Map<number, ReadResult> | undefined {
  const byHandle = new Map<number, ReadResult>();
  const asked = new Set<number>();
  for (let i = 0; i < handles.length; i++) asked.add(handles[i]!);
  try {
    if (!Array.isArray(answer)) {
      report({ fault: 'malformed', message: `the target's ${what} answered ${describe(answer)}, not a list of results` });
      return undefined;
    }
    const n = answer.length;
    for (let i = 0; i < n; i++) {
      const entry: unknown = answer[i];
      const handle = entry !== null && typeof entry === 'object' ? (entry as { handle?: unknown }).handle : undefined;
      if (typeof handle !== 'number') {
        report({ fault: 'malformed', message: `the target's ${what} answered entry ${i} (${describe(entry)}) without a handle; ignored` });
        continue;
      }
      if (!asked.has(handle)) {
        report({ fault: 'unknown', handle, message: `the target's ${what} answered for handle ${handle}, which was not in the call; ignored` });
        continue;
      }
      if (byHandle.has(handle)) {
        report({ fault: 'duplicate', handle, message: `the target's ${what} answered twice for handle ${handle}; the first answer counts` });
        continue;
      }
      const r = entry as TerminateResult;
      const error = r.error;
      byHandle.set(handle, {
        ok: r.ok === true,
        ...(error !== undefined ? { error: String(error) } : {}),
        delegated: r.delegated,
        received: r.received,
        unacknowledged: r.unacknowledged,
      });
    }
  } catch (error) {
    report({ fault: 'malformed', message: `the target's ${what} answer could not be read: ${describe(error)}`, error });
    return undefined;
  }
  for (const h of asked) {
    if (!byHandle.has(h)) report({ fault: 'missing', handle: h, message: `the target's ${what} answered nothing for handle ${h}` });
  }
  return byHandle;
}

const DELEGATED_NUMBERS = ['sndUna', 'sndNxt', 'rcvNxt', 'sndWnd', 'cWnd', 'ssThresh', 'sRtt', 'rttVar'] as const;

/**
 * What a terminated connection handed back, checked and copied; undefined when it did not come
 * back (no successful result, or delegated state or data that are not what the interface says).
 */
export function returnedState(r: ReadResult | undefined): { delegated: DelegatedState; received: Segment[]; unacknowledged: Segment[] } | undefined {
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
