// What both tables say when they refuse a call whose arguments have the right form: a handle that is
// stale or of the wrong kind, an object in the wrong state, a key already taken, a limit reached.
// OffloadTable builds these from the core's error detail, ReferenceTable from its own objects; one
// text each, so the differential test can hold them to the same words. (Form errors, InvalidArgument,
// are validate.ts's and address.ts's.)
//
// Inside a batch, a message names the entry, "terminate (entry 3): ...", and the error's `index` is 3.

import { ErrorCode, type Kind, State } from './enums.js';
import { OffloadError, describeHandle } from './errors.js';
import { SLOT_LIMIT, MAX_MEMORY_BYTES } from './validate.js';

/** " (entry i)" inside a batch, "" for a single object. */
function entry(index: number | undefined): string {
  return index === undefined ? '' : ` (entry ${index})`;
}

function refuse(code: ErrorCode, op: string, index: number | undefined, text: string, handle?: number): never {
  throw new OffloadError(code, `${op}${entry(index)}: ${text}`, index, handle || undefined);
}

const KIND_NAMES = ['object', 'neighbor', 'path', 'connection'];
/** "neighbor", "path", "connection". */
export function kindName(kind: Kind): string {
  return KIND_NAMES[kind] ?? 'object';
}

/** A handle whose object was freed, or that this table never issued. */
export function staleHandle(op: string, handle: number, index?: number): never {
  refuse(ErrorCode.StaleHandle, op, index, `${describeHandle(handle)} is stale: its object was freed, or it never belonged to this table`, handle);
}

/** A live object of another kind than the call needs (a path given as a connection's parent, ...). */
export function wrongKind(op: string, handle: number, expected: Kind, index?: number): never {
  refuse(ErrorCode.WrongKind, op, index, `${describeHandle(handle)} is not a ${kindName(expected)}`, handle);
}

/** An object in `state` where the call needs `expected` (completeOffload: Offloading, completeTerminate: Terminating, ...). */
export function wrongState(op: string, handle: number, state: State, expected: State, index?: number): never {
  refuse(ErrorCode.WrongState, op, index, `${describeHandle(handle)} is ${State[state]}, expected ${State[expected]}`, handle);
}

/** What a call wanted to do with an object that is leaving (Terminating, or its termination pending). */
export type LeavingRole = 'parent' | 'update' | 'relink' | 'oldNeighbor';

const LEAVING_CONSEQUENCE: Record<LeavingRole, string> = {
  parent: 'nothing new can be offloaded under it',
  update: 'its cached variables can no longer change',
  relink: 'it cannot take part in a relink',
  oldNeighbor: 'the path cannot move away while its neighbor leaves; wait for the termination to complete',
};

/** An object that is Terminating (or whose termination is pending) where the call needs one that stays. */
export function leaving(op: string, handle: number, terminating: boolean, role: LeavingRole, index?: number): never {
  const who = role === 'oldNeighbor' ? `the path's neighbor ${describeHandle(handle)}` : describeHandle(handle);
  const why = terminating ? 'is Terminating' : 'has a termination pending';
  refuse(ErrorCode.WrongState, op, index, `${who} ${why}: ${LEAVING_CONSEQUENCE[role]}`, handle);
}

/** completeOffload(ok) of a child whose parent's initiate is still in flight and not in the call. */
export function parentInFlight(op: string, handle: number, parent: number, index?: number): never {
  refuse(
    ErrorCode.WrongState,
    op,
    index,
    `${describeHandle(handle)} cannot complete before its parent ${describeHandle(parent)}, whose initiate is still in flight; complete them in the same call or the parent first`,
    handle,
  );
}

/** An object with the key exists already. */
export function duplicateKey(op: string, existing: number, index?: number): never {
  refuse(ErrorCode.DuplicateKey, op, index, `an object with this key is already in the table: ${describeHandle(existing)}`, existing);
}

/**
 * Entry `index` of offloadConnections repeats the key (path and ports) of an earlier entry of the
 * same batch; names the earlier one.
 */
export function repeatedKey(op: string, paths: Float64Array, ports: Uint32Array, index: number): never {
  let earlier = 0;
  while (earlier < index && (paths[earlier] !== paths[index] || ports[earlier] !== ports[index])) earlier++;
  const p = ports[index]!;
  refuse(
    ErrorCode.DuplicateKey,
    op,
    index,
    `this connection (ports ${p >>> 16} -> ${p & 0xffff} on ${describeHandle(paths[index]!)}) repeats entry ${earlier} of the same batch`,
  );
}

/** completeTerminate or a failed completeOffload of an object that would leave a dependent linked. */
export function hasDependents(op: string, handle: number, dependent: number, index?: number): never {
  refuse(
    ErrorCode.HasDependents,
    op,
    index,
    `${describeHandle(handle)} still has a linked dependent${dependent ? ` (${describeHandle(dependent)})` : ''} that this call does not free; include its dependents in the same call, or complete them first`,
    handle,
  );
}

/** The configured live-object limits of a table. */
export interface Limits {
  readonly maxNeighbors: number;
  readonly maxPaths: number;
  readonly maxConnections: number;
}

const LIMIT_NAMES = ['', 'maxNeighbors', 'maxPaths', 'maxConnections'] as const;

/**
 * A call that would take `adding` objects of `kind` past its limit while the table holds `live`.
 * In a batch (`batch` true) the error's index is the first entry that does not fit.
 */
export function capacity(op: string, kind: Kind, live: number, adding: number, limits: Limits, batch: boolean): never {
  const name = LIMIT_NAMES[kind] as Exclude<(typeof LIMIT_NAMES)[number], ''>;
  const limit = limits[name];
  const what = adding === 1 ? `a new ${kindName(kind)}` : `${adding} new ${kindName(kind)}s`;
  refuse(
    ErrorCode.Capacity,
    op,
    batch ? Math.max(0, limit - live) : undefined,
    `${what} would exceed ${name} (${limit}): the table holds ${live}. ` +
      `Terminate some, or raise the limit in OffloadTable.create() (at most ${SLOT_LIMIT} each; ` +
      `now ${limits.maxNeighbors} neighbors, ${limits.maxPaths} paths, ${limits.maxConnections} connections)`,
  );
}

/** The memory cap is reached (the core only: the reference has no cap). */
export function outOfMemory(op: string, cap: number, inUse: number, live: readonly [number, number, number]): never {
  refuse(
    ErrorCode.OutOfMemory,
    op,
    undefined,
    `linear memory is exhausted (cap ${cap} bytes, in use ${inUse}; live: ${live[0]} neighbors, ${live[1]} paths, ${live[2]} connections); ` +
      `the table is unchanged. Terminate objects, split the call, or raise maxMemoryBytes (at most ${MAX_MEMORY_BYTES}, WebAssembly's 4 GiB less a page)`,
  );
}
