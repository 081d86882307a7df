// Runs compare's jobs on worker threads (one job per worker at a time; a worker takes the next job,
// costliest first, when it is done), or in this thread with workers = 1. Job order does not change any result.

import { Worker } from 'node:worker_threads';
import { runJob, runOrder, type Job, type JobResult } from '../sim/compare.js';
import type { RunSetup } from '../sim/run.js';
import { makePolicy, type ResolvedPolicy } from './load.js';
import { openSource, type SourceSpec } from './sources.js';
import { TraceError, type TraceErrorCode } from '../trace/errors.js';

export interface PoolOptions {
  source: SourceSpec;
  setup: RunSetup;
  workers: number;
  /** Called with each job's share done (0..1), by job index. */
  onProgress?: (job: number, done: number) => void;
  onDone?: (job: number, result: JobResult) => void;
}

export async function runJobs(jobs: Job[], o: PoolOptions): Promise<JobResult[]> {
  const results: JobResult[] = new Array(jobs.length);
  if (o.workers <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runJob(jobs[i]!, {
        source: () => openSource(o.source),
        setup: o.setup,
        makePolicy: (spec) => makePolicy(spec as ResolvedPolicy),
        onProgress: (p) => o.onProgress?.(i, p.tick / Math.max(1, p.ticks)),
      });
      o.onDone?.(i, results[i]!);
    }
    return results;
  }
  // Workers take jobs costliest first; results stay in the jobs' order.
  const order = runOrder(jobs);
  let next = 0;
  const workers = Array.from(
    { length: Math.min(o.workers, jobs.length) },
    () => new Worker(new URL('./worker.js', import.meta.url), { workerData: { source: o.source, setup: o.setup } }),
  );
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let current = -1;
            const take = () => {
              if (next >= jobs.length) return resolve();
              current = order[next++]!;
              w.postMessage(jobs[current]);
            };
            w.on(
              'message',
              (
                m:
                  | { type: 'progress'; tick: number; ticks: number }
                  | { type: 'done'; result: JobResult }
                  | { type: 'failed'; message: string; traceError?: { code: TraceErrorCode; offset: number } },
              ) => {
                if (m.type === 'progress') o.onProgress?.(current, m.tick / Math.max(1, m.ticks));
                else if (m.type === 'done') {
                  results[current] = m.result;
                  o.onDone?.(current, m.result);
                  take();
                } else if (m.traceError) reject(new TraceError(m.traceError.code, m.message, m.traceError.offset));
                else reject(new Error(`job ${describe(jobs[current]!)} failed in a worker: ${m.message}`));
              },
            );
            w.on('error', reject);
            w.on('exit', (code) => {
              if (current >= 0 && results[current] === undefined)
                reject(new Error(`a worker stopped (exit code ${code}) during ${describe(jobs[current]!)}; out of memory? Try fewer --workers`));
            });
            take();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map(stop));
  }
  return results;
}

/**
 * Ends a worker: asks it to close its port and waits for it to exit on its own, which lets V8
 * finish what it compiles in the background (terminate() mid-compile can abort the process on
 * Node 20); terminate() only if it has not exited after a few seconds (a job still running).
 */
function stop(w: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void w.terminate().then(() => resolve()), 3000);
    w.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    w.postMessage('stop');
  });
}

export const describe = (job: Job): string =>
  job.kind === 'oracle' ? 'the oracle' : `${job.policy.policy} at capacity ${job.capacity.toLocaleString('en-US')}`;
