// Recorded traffic as workloads: pcap, pcapng and Zeek conn.log readers and flow assembly.
export { openTraceWorkload } from './workload.js';
export type { TraceWorkload, TraceOptions, TraceFormat } from './workload.js';
export { summarizeTrace } from './summary.js';
export type { TraceSummary } from './summary.js';
export { TraceError } from './errors.js';
export type { TraceErrorCode } from './errors.js';
export { createTickBatch } from './batch.js';
export { formatCdf } from './sizes.js';
