// simulate runs three threads: the host's (the main thread, which the run waits for every tick),
// the target's (which the host waits for once a tick) and the workload's (which runs ahead of the
// host by up to 32 ticks). On two cores a fair scheduler takes turns between all three, so every
// message that wakes the target could take the host's core, and the target, once woken, waited
// about 4 ms for the workload's thread to give up the other. Priorities in that order fix both:
// measured on this project's 2-core machine (BENCHMARKS.md, "The simulated target on its own
// thread"), the million run's wall time fell from a median of 10.9 s (both workers at nice 10) to
// 9.7 s (workload 15, target 5).

import { readlinkSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';

/**
 * Lowers this worker thread's scheduling priority to `nice` (Linux, this thread alone) when the
 * machine has fewer cores than simulate has threads; elsewhere, or if refused, does nothing.
 */
export function giveWay(nice: number): void {
  if (availableParallelism() >= 3) return;
  try {
    // /proc/thread-self names this thread's task: setpriority on a task id changes that thread only.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: the thread keeps its priority, and the run its figures.
  }
}
