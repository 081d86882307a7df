// A compare worker thread: builds the workload and the policies once per job from plain data sent
// by the main thread, runs the job (src/sim/compare.ts runJob), and posts the result.

import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type Job } from '../sim/compare.js';
import type { RunSetup } from '../sim/run.js';
import { makePolicy, type ResolvedPolicy } from './load.js';
import { openSource, type SourceSpec } from './sources.js';
import { isTraceError } from '../trace/errors.js';

const { source, setup } = workerData as { source: SourceSpec; setup: RunSetup };
const port = parentPort!;

port.on('message', async (job: Job | 'stop') => {
  // The pool is done: close the port and let this thread end on its own. (terminate() stops a
  // thread mid-flight, and Node 20 can abort the whole process when that catches V8 compiling
  // in the background.)
  if (job === 'stop') {
    port.close();
    return;
  }
  try {
    const result = await runJob(job, {
      source: () => openSource(source),
      setup,
      makePolicy: (spec) => makePolicy(spec as ResolvedPolicy),
      onProgress: (p) => port.postMessage({ type: 'progress', tick: p.tick, ticks: p.ticks }),
    });
    port.postMessage({ type: 'done', result });
  } catch (error) {
    // A damaged trace is bad input, not a failure of the run: it crosses to the main thread whole.
    if (isTraceError(error)) port.postMessage({ type: 'failed', message: error.message, traceError: { code: error.code, offset: error.offset } });
    else port.postMessage({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
