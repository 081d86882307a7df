// The host's own calls (offload, terminate, recordTrafficBatch) read their input once: a caller's
// object, getter, Proxy or buffer (even one shared with a worker) that changes while a call runs or
// waits changes nothing.

import { invalid } from '../table/errors.js';
import { typeName } from '../table/address.js';
import type { OffloadRequest } from './stack.js';

/**
 * A request read once, field by field, with addresses given as bytes copied: the caller may change
 * its object (or a getter may answer differently) while the offload waits for the target.
 */
export function snapshot(request: OffloadRequest): OffloadRequest {
  const copy = (a: unknown) => (a instanceof Uint8Array ? a.slice() : a) as string | Uint8Array;
  const { ifIndex, nextHop, source, destination, localPort, remotePort, priority, tcp } = request;
  return {
    ifIndex,
    nextHop: copy(nextHop),
    source: copy(source),
    destination: copy(destination),
    localPort,
    remotePort,
    ...(priority !== undefined ? { priority } : {}),
    ...(tcp !== undefined ? { tcp } : {}),
  };
}

/** Most entries a batch call of the host copies (the table's own limits are checked after). */
const MAX_BATCH = 2 ** 27;

/** A batch argument read once into a copy (typed arrays, even over shared memory, are copied whole). */
export function readOnce(values: ArrayLike<number>, what: string): ArrayLike<number> {
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) return (values as unknown as Float64Array).slice();
  if (values === null || typeof values !== 'object') invalid(`${what} must be an array or a typed array, got ${typeName(values)}`);
  const n = values.length;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_BATCH)
    invalid(`${what}: a batch holds at most ${MAX_BATCH.toLocaleString('en-US')} entries, got length ${typeName(n)}`);
  return Array.from({ length: n }, (_, i) => values[i]!);
}
