// Input validation shared by OffloadTable and the reference model: what JS can check before the
// table sees a call (types, ranges, address syntax). Every failure is an InvalidArgument that names
// the call, the field and, inside a batch, the entry.

import { Kind } from './enums.js';
import { invalid } from './errors.js';
import { typeName } from './address.js';
import type { ActivityPolicy, ConnectionKeys, TableOptions, TerminateOptions } from './types.js';

/** Largest linear memory the core addresses safely (its pointers are u32): 4 GiB less a page. */
export const MAX_MEMORY_BYTES = 65535 * 65536;
/** Slots per kind that a handle can address (22 bits). */
export const SLOT_LIMIT = 1 << 22;
const OPTION_NAMES = new Set(['maxNeighbors', 'maxPaths', 'maxConnections', 'maxMemoryBytes', 'initialMemoryBytes']);

export function readOptions(options: TableOptions | undefined): Required<TableOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    invalid(`OffloadTable options must be an object, got ${typeName(options)}`);
  }
  const o = options ?? {};
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.has(name)) invalid(`OffloadTable options: unknown option '${name}' (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  const limit = (v: number | undefined, name: string) => (v === undefined ? SLOT_LIMIT : requireInt(v, 0, SLOT_LIMIT, `OffloadTable options: ${name}`));
  const maxMemoryBytes = o.maxMemoryBytes === undefined ? MAX_MEMORY_BYTES : requireInt(o.maxMemoryBytes, 1 << 20, MAX_MEMORY_BYTES, 'OffloadTable options: maxMemoryBytes');
  const initialMemoryBytes = o.initialMemoryBytes === undefined
    ? Math.min(1 << 20, maxMemoryBytes)
    : requireInt(o.initialMemoryBytes, 65536, maxMemoryBytes, 'OffloadTable options: initialMemoryBytes (at most maxMemoryBytes)');
  return {
    maxNeighbors: limit(o.maxNeighbors, 'maxNeighbors'),
    maxPaths: limit(o.maxPaths, 'maxPaths'),
    maxConnections: limit(o.maxConnections, 'maxConnections'),
    maxMemoryBytes,
    initialMemoryBytes,
  };
}

export function requireObject(value: unknown, op: string, name: string): void {
  if (value === null || typeof value !== 'object') invalid(`${op}: ${name} must be an object, got ${typeName(value)}`);
}

export function requireInt(value: unknown, lo: number, hi: number, what: string, index?: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    invalid(`${what} must be an integer ${lo}..${hi}, got ${typeName(value)}`, index);
  }
  return value;
}

export function requireU32(value: unknown, what: string): number {
  return requireInt(value, 0, 0xffffffff, what);
}

/** A handle: an integer 1..2^32-1 (whether it names a live object is the core's to say). */
export function requireHandle(value: unknown, what: string, index?: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    invalid(`${what} must be a handle (a non-zero number returned by an offload call), got ${typeName(value)}`, index);
  }
  return value;
}

export function requireKind(kind: unknown, op: string): Kind {
  if (kind !== Kind.Neighbor && kind !== Kind.Path && kind !== Kind.Connection) {
    invalid(`${op}: kind must be Kind.Neighbor, Kind.Path or Kind.Connection, got ${typeName(kind)}`);
  }
  return kind;
}

export function requireReason(reason: unknown, op: string): number {
  return requireInt(reason, 1, 255, `${op}: reason (a Reason, or 64..255 for your own)`);
}

export function readPrune(options: TerminateOptions | undefined, op: string): number {
  if (options === undefined) return 1;
  if (options === null || typeof options !== 'object') invalid(`${op}: options must be an object, got ${typeName(options)}`);
  for (const name of Object.keys(options)) if (name !== 'prune') invalid(`${op}: unknown option '${name}' (known: prune)`);
  if (options.prune === undefined) return 1;
  if (typeof options.prune !== 'boolean') invalid(`${op}: prune must be a boolean, got ${typeName(options.prune)}`);
  return options.prune ? 1 : 0;
}

export function requireArray(value: unknown, what: string): ArrayLike<unknown> {
  if (!(Array.isArray(value) || ArrayBuffer.isView(value)) || value instanceof DataView) {
    invalid(`${what} must be an array or typed array, got ${typeName(value)}`);
  }
  return value as ArrayLike<unknown>;
}

export function sameLength(n: number, value: unknown, what: string): void {
  if (requireArray(value, what).length !== n) invalid(`${what} has ${(value as ArrayLike<unknown>).length} entries, expected ${n} (one per connection)`);
}

export function packPorts(localPort: unknown, remotePort: unknown, op: string, index?: number): number {
  const at = index === undefined ? '' : `[${index}]`;
  const lp = requireInt(localPort, 0, 65535, `${op}: localPort${at}`, index);
  const rp = requireInt(remotePort, 0, 65535, `${op}: remotePort${at}`, index);
  return ((lp << 16) | rp) >>> 0;
}

/** A byte count for recordTraffic: an integer 0..2^32-1. */
export function requireBytes(value: unknown, what: string, index?: number): number {
  return requireInt(value, 0, 0xffffffff, what, index);
}

export interface ResolvedActivityPolicy {
  threshold: number;
  windowMs: number;
  quietMs: number;
}

const POLICY_NAMES = new Set(['thresholdBytesPerSecond', 'windowMs', 'quietMs']);

/** The low-activity policy with its defaults (under 4 KiB/s averaged over 10 s, for 10 s). */
export function readActivityPolicy(policy: ActivityPolicy | undefined, op: string): ResolvedActivityPolicy {
  if (policy !== undefined && (policy === null || typeof policy !== 'object')) invalid(`${op}: policy must be an object, got ${typeName(policy)}`);
  const p = policy ?? {};
  for (const name of Object.keys(p)) if (!POLICY_NAMES.has(name)) invalid(`${op}: unknown policy field '${name}' (known: ${[...POLICY_NAMES].join(', ')})`);
  const number = (v: unknown, fallback: number, what: string, min: number) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) invalid(`${op}: ${what} must be a finite number >= ${min}, got ${typeName(v)}`);
    return v;
  };
  return {
    threshold: number(p.thresholdBytesPerSecond, 4096, 'thresholdBytesPerSecond', 0),
    windowMs: number(p.windowMs, 10_000, 'windowMs', 1),
    quietMs: Math.floor(number(p.quietMs, 10_000, 'quietMs', 0)),
  };
}

/**
 * Time since the last tick, and what every implementation derives from it identically: whole
 * milliseconds for quiet time and the moving average's weight. `last` undefined: the first tick.
 */
export function tickStep(now: unknown, last: number | undefined, policy: ResolvedActivityPolicy, op: string) {
  if (typeof now !== 'number' || !Number.isFinite(now)) invalid(`${op}: now must be a finite time in ms, got ${typeName(now)}`);
  if (last !== undefined && now < last) invalid(`${op}: now (${now}) is before the previous tick (${last}); time must not go back`);
  const dt = last === undefined ? 0 : now - last;
  return { dt, dtWhole: Math.min(0xffffffff, Math.floor(dt)), alpha: 1 - Math.exp(-dt / policy.windowMs) };
}

// ---- batch arguments ---------------------------------------------------------------------------
// Typed arrays of the right type need no per-element check; anything else is checked in order, so
// that every implementation reports the same first bad entry.

/** Validates the arguments of offloadConnections; returns the batch length. */
export function validateConnectionBatch(
  op: string, paths: ArrayLike<number>, localPorts: ArrayLike<number>, remotePorts: ArrayLike<number>, priorities?: ArrayLike<number>,
): number {
  const n = requireArray(paths, `${op}: paths`).length;
  sameLength(n, localPorts, `${op}: localPorts`);
  sameLength(n, remotePorts, `${op}: remotePorts`);
  if (priorities !== undefined) sameLength(n, priorities, `${op}: priorities`);
  if (!(paths instanceof Uint32Array)) for (let i = 0; i < n; i++) requireHandle(paths[i], `${op}: paths[${i}]`, i);
  if (!(localPorts instanceof Uint16Array) || !(remotePorts instanceof Uint16Array)) {
    for (let i = 0; i < n; i++) packPorts(localPorts[i], remotePorts[i], op, i);
  }
  if (priorities !== undefined && !(priorities instanceof Uint8Array)) {
    for (let i = 0; i < n; i++) requireInt(priorities[i], 0, 255, `${op}: priorities[${i}]`, i);
  }
  return n;
}

/** Validates the keys of findConnections; returns how many. */
export function validateConnectionKeys(op: string, keys: ConnectionKeys): number {
  requireObject(keys, op, 'keys');
  const n = requireArray(keys.localPorts, `${op}: localPorts`).length;
  sameLength(n, keys.remotePorts, `${op}: remotePorts`);
  for (const field of ['sources', 'destinations'] as const) {
    const a = keys[field];
    if (!(a instanceof Uint8Array) || a.length !== n * 16) {
      invalid(`${op}: ${field} must be a Uint8Array of 16 bytes per key (${n * 16}); encodeAddresses() makes one`);
    }
  }
  if (!(keys.localPorts instanceof Uint16Array) || !(keys.remotePorts instanceof Uint16Array)) {
    for (let i = 0; i < n; i++) packPorts(keys.localPorts[i], keys.remotePorts[i], op, i);
  }
  return n;
}

/** Validates the arguments of recordTrafficBatch; returns the batch length. */
export function validateTrafficBatch(op: string, handles: ArrayLike<number>, sentBytes: ArrayLike<number>, receivedBytes?: ArrayLike<number>): number {
  const n = requireArray(handles, `${op}: handles`).length;
  sameLength(n, sentBytes, `${op}: sentBytes`);
  if (receivedBytes !== undefined) sameLength(n, receivedBytes, `${op}: receivedBytes`);
  if (!(handles instanceof Uint32Array)) for (let i = 0; i < n; i++) requireHandle(handles[i], `${op}: handles[${i}]`, i);
  if (!(sentBytes instanceof Uint32Array)) for (let i = 0; i < n; i++) requireBytes(sentBytes[i], `${op}: sentBytes[${i}]`, i);
  if (receivedBytes !== undefined && !(receivedBytes instanceof Uint32Array)) {
    for (let i = 0; i < n; i++) requireBytes(receivedBytes[i], `${op}: receivedBytes[${i}]`, i);
  }
  return n;
}
