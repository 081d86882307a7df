// simulate runs three threads: the host's (the main thread, which the run waits for), the
// workload's and the target's. On two cores, a fair scheduler takes turns between all three, and
// every message that wakes a worker can take the host's core for a while. A worker that lowers
// its own priority leaves the host its core and takes the other: measured on this project's
// 2-core machine, the million run's wall time fell from a median of 11.7 s to 10.0 s
// (BENCHMARKS.md, "The simulated target on its own thread").

import { readlinkSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';

/**
 * Lowers this worker thread's scheduling priority (Linux: nice 10, this thread alone) when the
 * machine has fewer cores than simulate has threads; elsewhere, or if refused, does nothing.
 */
export function giveWay(): void {
  if (availableParallelism() >= 3) return;
  try {
    // /proc/thread-self names this thread's task: setpriority on a task id changes that thread only.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not Linux, or not allowed: the thread keeps its priority, and the run its figures.
  }
}
