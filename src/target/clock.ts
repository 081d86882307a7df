// Time, injected. A HostStack moves its clock at every tick(now); a SimulatedTarget given the same
// clock completes calls and moves TCP state when it moves. The production OffloadTarget interface
// has no notion of time: a real NIC has its own.

import { invalid } from '../table/errors.js';
import { typeName } from '../table/address.js';

/** A clock in ms that someone drives forward, and that others can follow. */
export interface Clock {
  /** The time now, ms. */
  readonly now: number;
  /** Moves the clock to `now` and tells every subscriber; a time not after the current one does nothing. */
  advance(now: number): void;
  /** Calls `listener(now)` each time the clock moves; returns a function that unsubscribes. */
  subscribe(listener: (now: number) => void): () => void;
}

/** A clock that moves only when told to: virtual time for simulations and tests. */
export class ManualClock implements Clock {
  private time: number;
  private readonly listeners: ((now: number) => void)[] = [];

  constructor(start = 0) {
    this.time = requireTime(start, 'ManualClock: start');
  }

  get now(): number {
    return this.time;
  }

  /**
   * Moves to `now` and calls every subscriber in the order they subscribed. A subscriber that
   * throws does not stop the others; the first error is rethrown once all have run.
   */
  advance(now: number): void {
    const to = requireTime(now, 'ManualClock.advance: now');
    if (to <= this.time) return;
    this.time = to;
    let failure: { error: unknown } | undefined;
    for (const listener of [...this.listeners]) {
      try {
        listener(to);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  subscribe(listener: (now: number) => void): () => void {
    if (typeof listener !== 'function') invalid(`ManualClock.subscribe: listener must be a function, got ${typeName(listener)}`);
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}

/** True if `value` has the shape of a Clock (for options that accept one). */
export function isClock(value: unknown): value is Clock {
  const c = value as Clock | null | undefined;
  return typeof c === 'object' && c !== null && typeof c.now === 'number' && typeof c.advance === 'function' && typeof c.subscribe === 'function';
}

function requireTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${what} must be a finite time in ms, got ${typeName(value)}`);
  return value;
}
