// A worker thread whose work can wait (it runs ahead of its reader) gives way to the threads that
// cannot: on two cores, simulate runs three (the host, the target, the workload), and a fair
// scheduler would take turns between all three, delaying the host, which the run waits for.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Lowers this thread's scheduling priority (Linux: nice 10 for this thread alone); elsewhere, or if refused, nothing. */
export function giveWay(): void {
  try {
    // /proc/thread-self names this thread's task: setpriority on a task id changes that thread only.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not Linux, or not allowed: the thread keeps its priority, and the run its figures.
  }
}
