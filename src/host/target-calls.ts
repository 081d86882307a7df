// Calls from the host to the target, guarded. Whatever the target does (throw synchronously,
// return something that is not a promise, reject, never answer, answer after the host gave up),
// the host gets one outcome per call: the answer, or a CallFailed naming the fault. Nothing the
// target does can throw into the host's own code or leave a call waiting for ever: a call not
// answered within the timeout of the host's clock fails, and a late answer is reported and ignored.

import { typeName } from '../table/address.js';
import { nextTurn } from './next-turn.js';

/** What a target did wrong, as `error` events name it. */
export type TargetFault =
  | 'threw' // a call threw synchronously instead of returning a promise
  | 'rejected' // a call's promise rejected
  | 'timeout' // no answer within targetTimeoutMs of the host's clock
  | 'late' // an answer after the timeout (ignored)
  | 'malformed' // an answer that is not a list of results, or an entry that is not a result
  | 'missing' // no result for a block of the call
  | 'unknown' // a result for a handle that was not in the call
  | 'duplicate' // a second result for the same block (the first counts)
  | 'failed' // a block the target reported as failed where failing is not an option (terminate, update)
  | 'lost' // a terminated connection came back without valid delegated state
  | 'gone' // a completion for an object the table no longer has
  | 'indication'; // an indication with bad arguments, or whose handling failed

export class CallFailed extends Error {
  constructor(
    readonly fault: TargetFault,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface FaultReport {
  message: string;
  fault: TargetFault;
  handle?: number;
  error?: unknown;
}

interface OpenCall {
  due: number;
  expiring: boolean;
  fail: () => void;
}

export class TargetCalls {
  /** Calls not yet answered, in the order they started (so deadlines are in order too). */
  private readonly open = new Map<number, OpenCall>();
  /** Promises idle() waits for: calls and the host's work on their answers. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private ids = 0;

  constructor(
    readonly timeoutMs: number,
    private readonly report: (fault: FaultReport) => void,
  ) {}

  /**
   * Starts a call (`what` names it in messages) at host time `now`. Resolves with the target's
   * answer, or rejects with CallFailed: it threw, it rejected, or it did not answer in time.
   * An answer after the timeout is reported, then handed to `onLate`.
   */
  run<T>(what: string, now: number, invoke: () => Promise<T>, onLate?: (answer: T) => void): Promise<T> {
    const id = ++this.ids;
    const call = new Promise<T>((resolve, reject) => {
      let answer: Promise<T>;
      try {
        // Promise.resolve also takes a plain value or a thenable; a thenable whose then() throws rejects.
        answer = Promise.resolve(invoke());
      } catch (error) {
        reject(new CallFailed('threw', `the target's ${what} threw instead of returning a promise: ${describe(error)}`, error));
        return;
      }
      this.open.set(id, {
        due: now + this.timeoutMs,
        expiring: false,
        fail: () => reject(new CallFailed('timeout', `the target did not answer its ${what} within ${this.timeoutMs} ms`)),
      });
      answer.then(
        (value) => {
          if (this.open.delete(id)) resolve(value);
          else {
            this.late(what);
            try {
              onLate?.(value);
            } catch (error) {
              this.report({ fault: 'late', message: `handling the late answer to ${what} failed: ${describe(error)}`, error });
            }
          }
        },
        (error) => {
          if (this.open.delete(id)) reject(new CallFailed('rejected', `the target's ${what} failed: ${describe(error)}`, error));
          else this.late(what);
        },
      );
    });
    return this.track(call);
  }

  /**
   * Fails the calls whose deadline is at or before `now`. They fail in a task after this one, so
   * that an answer the target gave at this very time (whose callbacks have not run yet) wins.
   */
  expire(now: number): void {
    for (const [id, call] of this.open) {
      if (call.due > now) break;
      if (call.expiring) continue;
      call.expiring = true;
      void nextTurn().then(() => {
        if (this.open.delete(id)) call.fail();
      });
    }
  }

  /** Remembers work in flight until it settles (for idle()); returns the same promise. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const forget = () => void this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Calls and work in flight. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Resolves once nothing is in flight: every call answered or failed, and the answers applied. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private late(what: string): void {
    this.report({
      fault: 'late',
      message: `the target answered its ${what} after the host had given up on it (timeout ${this.timeoutMs} ms); the answer is ignored`,
    });
  }
}

/** An error or value as a short text for a message. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : typeName(error);
}

/**
 * The answer of a target call that returns nothing (steady, traffic, trafficBatch): a target written
 * as an async function returns a promise anyway, and if it rejects, nothing else would handle it
 * (an unhandled rejection ends a Node process). Its rejection goes to `rejected` instead, as does a
 * `then` that throws. Anything that is not a thenable is ignored.
 */
export function catchRejection(answer: unknown, rejected: (error: unknown) => void): void {
  if (answer === null || (typeof answer !== 'object' && typeof answer !== 'function')) return;
  try {
    const then = (answer as { then?: unknown }).then;
    if (typeof then === 'function') then.call(answer, undefined, rejected);
  } catch (error) {
    rejected(error);
  }
}
