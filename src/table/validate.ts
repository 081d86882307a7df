// Input validation shared by OffloadTable and the reference model: what JS can check before the
// table sees a call (types, ranges, address syntax). Every failure is an InvalidArgument that names
// the call, the field and, inside a batch, the entry.
//
// Batches are read exactly once: each array's length once, each entry once, into a private typed
// copy; validation and everything after it use only the copy. So an array that changes while it is
// read (a getter, a Proxy, a SharedArrayBuffer a worker writes) cannot make the table place what it
// did not validate. Every length is checked against MAX_BATCH before anything is allocated.

import { Kind } from './enums.js';
import { invalid } from './errors.js';
import { typeName } from './address.js';
import type { ActivityPolicy, ConnectionKeys, TableOptions, TerminateOptions } from './types.js';

/** Largest linear memory the core addresses safely (its pointers are u32): 4 GiB less a page. */
export const MAX_MEMORY_BYTES = 65535 * 65536;
/** Slots per kind that a handle can address (26 bits: 67,108,864). */
export const SLOT_LIMIT = 2 ** 26;
/** Largest handle: handles are safe integers (kind, generation and slot in 53 bits). */
export const MAX_HANDLE = Number.MAX_SAFE_INTEGER;
/** Smallest handle: the kind (1..3) sits above bit 51, so every handle is at least 2^51 (assembly/memory/slab.ts). */
export const MIN_HANDLE = 2 ** 51;
/** What a handle is, for messages. */
const A_HANDLE = 'a handle (a number that an offload call returned; 0 means none)';
/** Most entries in one batch argument (2^27 = 134,217,728: more objects than one table can hold). */
export const MAX_BATCH = 2 ** 27;
const OPTION_NAMES = new Set(['maxNeighbors', 'maxPaths', 'maxConnections', 'maxMemoryBytes', 'initialMemoryBytes']);

export function readOptions(options: TableOptions | undefined): Required<TableOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    invalid(`OffloadTable options must be an object, got ${typeName(options)}`);
  }
  const o = options ?? {};
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.has(name)) invalid(`OffloadTable options: unknown option '${name}' (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  // Each option read once (a getter answers once).
  const { maxNeighbors, maxPaths, maxConnections, maxMemoryBytes: maxMemory, initialMemoryBytes: initialMemory } = o;
  const limit = (v: number | undefined, name: string) => (v === undefined ? SLOT_LIMIT : requireInt(v, 0, SLOT_LIMIT, `OffloadTable options: ${name}`));
  const maxMemoryBytes = maxMemory === undefined ? MAX_MEMORY_BYTES : requireInt(maxMemory, 1 << 20, MAX_MEMORY_BYTES, 'OffloadTable options: maxMemoryBytes');
  const initialMemoryBytes =
    initialMemory === undefined
      ? Math.min(1 << 20, maxMemoryBytes)
      : requireInt(initialMemory, 65536, maxMemoryBytes, 'OffloadTable options: initialMemoryBytes (at most maxMemoryBytes)');
  return {
    maxNeighbors: limit(maxNeighbors, 'maxNeighbors'),
    maxPaths: limit(maxPaths, 'maxPaths'),
    maxConnections: limit(maxConnections, 'maxConnections'),
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

/**
 * True if `value` has the form of a handle: an integer 2^51..2^53-1, with kind bits (whether it
 * names a live object is the table's to say: StaleHandle, WrongKind).
 */
export function isHandleForm(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_HANDLE && value <= MAX_HANDLE;
}

/** A handle (see isHandleForm), or InvalidArgument naming `what`. */
export function requireHandle(value: unknown, what: string, index?: number): number {
  if (!isHandleForm(value)) notHandle(what, value, index);
  return value;
}

/** InvalidArgument for a value that is not a handle. */
export function notHandle(what: string, value: unknown, index?: number): never {
  invalid(`${what} must be ${A_HANDLE}, got ${typeName(value)}`, index);
}

export function requireKind(kind: unknown, op: string): Kind {
  if (kind !== Kind.Neighbor && kind !== Kind.Path && kind !== Kind.Connection) {
    invalid(`${op}: kind must be Kind.Neighbor, Kind.Path or Kind.Connection, got ${typeName(kind)}`);
  }
  return kind;
}

export function requireReason(reason: unknown, op: string): number {
  if (typeof reason !== 'number' || !Number.isInteger(reason) || reason < 1 || reason > 255) {
    requireInt(reason, 1, 255, `${op}: reason (a Reason, or 64..255 for your own)`); // throws with the message
  }
  return reason as number;
}

export function readPrune(options: TerminateOptions | undefined, op: string): number {
  if (options === undefined) return 1;
  if (options === null || typeof options !== 'object') invalid(`${op}: options must be an object, got ${typeName(options)}`);
  for (const name of Object.keys(options)) if (name !== 'prune') invalid(`${op}: unknown option '${name}' (known: prune)`);
  const prune = options.prune; // read once
  if (prune === undefined) return 1;
  if (typeof prune !== 'boolean') invalid(`${op}: prune must be a boolean, got ${typeName(prune)}`);
  return prune ? 1 : 0;
}

// The built-in getters of typed arrays. Called on a value they answer from its internal slots, so
// neither a subclass (a `length` getter that lies, a prototype swapped for another) nor a Proxy
// that claims to be a Uint8Array can make a check see one thing and a copy read another.
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const builtin = (key: PropertyKey) => Object.getOwnPropertyDescriptor(TYPED_ARRAY, key)!.get! as (this: unknown) => unknown;
const TYPE_OF = builtin(Symbol.toStringTag);
const LENGTH_OF = builtin('length') as (this: unknown) => number;
const BUFFER_OF = builtin('buffer') as (this: unknown) => ArrayBufferLike;
const OFFSET_OF = builtin('byteOffset') as (this: unknown) => number;

/** "Uint16Array", "Float64Array", ... for a real typed array; undefined for anything else (a Proxy, a DataView). */
export function typedArrayType(value: unknown): string | undefined {
  return TYPE_OF.call(value) as string | undefined;
}

/** The real length of a value typedArrayType named (0 once its buffer is detached), whatever its `length` getter says. */
export function typedArrayLength(value: unknown): number {
  return LENGTH_OF.call(value);
}

export function requireArray(value: unknown, what: string): ArrayLike<unknown> {
  if (!Array.isArray(value) && typedArrayType(value) === undefined) invalid(`${what} must be an array or typed array, got ${typeName(value)}`);
  return value as ArrayLike<unknown>;
}

/** The length of a batch argument, read once (a typed array's from its slot), checked to be at most MAX_BATCH. */
export function batchLength(value: unknown, what: string): number {
  requireArray(value, what);
  const n = typedArrayType(value) === undefined ? (value as ArrayLike<unknown>).length : LENGTH_OF.call(value);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_BATCH) {
    invalid(`${what} has ${typeof n === 'number' ? n : typeName(n)} entries; a batch holds at most ${MAX_BATCH.toLocaleString('en-US')} (split it)`);
  }
  return n;
}

/** Checks that a second array has `n` entries (its length read once); returns it as an array. */
export function sameLength(n: number, value: unknown, what: string): ArrayLike<unknown> {
  const m = batchLength(value, what);
  if (m !== n) invalid(`${what} has ${m} entries, expected ${n} (one per connection)`);
  return value as ArrayLike<unknown>;
}

/**
 * Entries of a batch argument read once into a private copy: `values[0..length)`. The first entry
 * that is not a number becomes NaN and ends the copy (the rest stay NaN): every caller fails at or
 * before it, so a huge sparse array or Proxy costs no more reads than its first bad entry.
 * describe(i) names what entry i was, for the message of its error.
 */
export class Numbers {
  constructor(
    readonly values: Float64Array,
    readonly length: number,
    private readonly firstOther: number,
    private readonly otherType: string,
  ) {}

  describe(i: number): string {
    return i === this.firstOther ? this.otherType : typeName(this.values[i]);
  }
}

/**
 * Copies `n` entries of a batch argument (see Numbers), into `into` when it is given and long
 * enough (a buffer of the caller's, reused: no allocation), else into a new array.
 */
function copyNumbers(value: ArrayLike<unknown>, n: number, into?: Float64Array): Numbers {
  const values = into !== undefined && n <= into.length ? into : new Float64Array(n);
  const type = typedArrayType(value);
  if (type !== undefined && type !== 'BigInt64Array' && type !== 'BigUint64Array') {
    if (n === 1) values[0] = (value as unknown as Float64Array)[0]!;
    else values.set(value as unknown as ArrayLike<number>); // one read per entry, from the typed array's own memory
    return new Numbers(values, n, -1, '');
  }
  for (let i = 0; i < n; i++) {
    const v = value[i];
    if (typeof v === 'number') values[i] = v;
    else {
      values.fill(NaN, i, n);
      return new Numbers(values, n, i, typeName(v));
    }
  }
  return new Numbers(values, n, -1, '');
}

/** A list of handles read once (see Numbers); the form of each entry is checked later, in order. */
export type HandleList = Numbers;

/**
 * Reads a batch of handles once (length, then every entry). `into`: a buffer of the caller's to
 * read a short list into (the caller must not lend it to a call that runs while this one reads).
 */
export function readHandleList(value: unknown, what: string, into?: Float64Array): HandleList {
  return copyNumbers(value as ArrayLike<unknown>, batchLength(value, what), into);
}

/** InvalidArgument for entry i of a handle list that is not a handle. */
export function notAHandle(list: HandleList, i: number, what: string): never {
  invalid(`${what}[${i}] must be ${A_HANDLE}, got ${list.describe(i)}`, i);
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

/** A batch of connections read once and validated: path handles, packed ports, priorities. */
export interface ConnectionBatch {
  readonly n: number;
  readonly paths: Float64Array;
  readonly ports: Uint32Array;
  readonly priorities: Uint8Array;
}

/** Reads and validates the arguments of offloadConnections (each entry once, into copies). */
export function readConnectionBatch(op: string, paths: unknown, localPorts: unknown, remotePorts: unknown, priorities?: unknown): ConnectionBatch {
  const n = batchLength(paths, `${op}: paths`);
  const locals = sameLength(n, localPorts, `${op}: localPorts`);
  const remotes = sameLength(n, remotePorts, `${op}: remotePorts`);
  const prios = priorities === undefined ? undefined : sameLength(n, priorities, `${op}: priorities`);
  const p = copyNumbers(paths as ArrayLike<unknown>, n);
  for (let i = 0; i < n; i++) {
    if (!isHandleForm(p.values[i])) invalid(`${op}: paths[${i}] must be ${A_HANDLE}, got ${p.describe(i)}`, i);
  }
  const ports = readPorts(op, locals, remotes, n);
  const prio = new Uint8Array(n);
  if (typedArrayType(prios) === 'Uint8Array')
    prio.set(prios as Uint8Array); // one read each; every value is a priority
  else if (prios !== undefined) {
    const q = copyNumbers(prios, n);
    for (let i = 0; i < n; i++) {
      const v = q.values[i]!;
      if (!Number.isInteger(v) || v < 0 || v > 255) invalid(`${op}: priorities[${i}] must be an integer 0..255, got ${q.describe(i)}`, i);
      prio[i] = v;
    }
  }
  return { n, paths: p.values, ports, priorities: prio };
}

const isPort = (v: number) => Number.isInteger(v) && v >= 0 && v <= 65535;

/** Local and remote ports read once each and packed (local << 16 | remote). */
function readPorts(op: string, locals: ArrayLike<unknown>, remotes: ArrayLike<unknown>, n: number): Uint32Array {
  const ports = new Uint32Array(n);
  if (typedArrayType(locals) === 'Uint16Array' && typedArrayType(remotes) === 'Uint16Array') {
    // Every Uint16 is a port: read each once, nothing to check.
    const l = locals as Uint16Array;
    const r = remotes as Uint16Array;
    for (let i = 0; i < n; i++) ports[i] = ((l[i]! << 16) | r[i]!) >>> 0;
    return ports;
  }
  const l = copyNumbers(locals, n);
  const r = copyNumbers(remotes, n);
  for (let i = 0; i < n; i++) {
    const lp = l.values[i]!;
    const rp = r.values[i]!;
    if (!isPort(lp)) invalid(`${op}: localPorts[${i}] must be an integer 0..65535, got ${l.describe(i)}`, i);
    if (!isPort(rp)) invalid(`${op}: remotePorts[${i}] must be an integer 0..65535, got ${r.describe(i)}`, i);
    ports[i] = ((lp << 16) | rp) >>> 0;
  }
  return ports;
}

/** Keys of findConnections: addresses (16 bytes each, read once later) and packed ports (read once). */
export interface KeyBatch {
  readonly n: number;
  readonly sources: Uint8Array;
  readonly destinations: Uint8Array;
  readonly ports: Uint32Array;
}

/** Reads and validates the keys of findConnections (each entry once, into copies). */
export function readConnectionKeys(op: string, keys: ConnectionKeys): KeyBatch {
  requireObject(keys, op, 'keys');
  const localPorts = keys.localPorts;
  const remotePorts = keys.remotePorts;
  const n = batchLength(localPorts, `${op}: localPorts`);
  sameLength(n, remotePorts, `${op}: remotePorts`);
  const addresses: Uint8Array[] = [];
  for (const field of ['sources', 'destinations'] as const) {
    const a = keys[field];
    const real = typedArrayType(a) === 'Uint8Array';
    if (!real || LENGTH_OF.call(a) !== n * 16) {
      invalid(
        `${op}: ${field} must be a Uint8Array of 16 bytes per key (${n * 16}), got ${real ? `${LENGTH_OF.call(a)} bytes` : typeName(a)}; encodeAddresses() makes one`,
      );
    }
    // Not copied: any 16 bytes are an address, so there is nothing to validate, and each byte is
    // read once, when its chunk is copied into the core. A view of our own over the same memory:
    // the caller's object (a subclass) has no say in how it is read.
    addresses.push(new Uint8Array(BUFFER_OF.call(a), OFFSET_OF.call(a), n * 16));
  }
  return { n, sources: addresses[0]!, destinations: addresses[1]!, ports: readPorts(op, localPorts, remotePorts, n) };
}

/** A traffic batch read once: handles (checked in order later) and bytes (sent + received, capped). */
export interface TrafficBatch {
  readonly n: number;
  readonly handles: HandleList;
  readonly bytes: Uint32Array;
}

/** Reads and validates the arguments of recordTrafficBatch (each entry once, into copies). */
export function readTrafficBatch(op: string, handles: unknown, sentBytes: unknown, receivedBytes?: unknown, scratch?: TrafficScratch): TrafficBatch {
  // Typed arrays are copied with one set() each, which runs no code of the caller's, so no call can
  // come back in while they are read: they may go into the table's reused scratch (no allocation
  // per call, which a host recording every tick would pay). Anything else gets copies of its own.
  const typed =
    scratch !== undefined &&
    typedArrayType(handles) !== undefined &&
    typedArrayType(sentBytes) !== undefined &&
    typedArrayType(receivedBytes ?? sentBytes) !== undefined;
  const room = typed ? scratch.room(batchLength(handles, `${op}: handles`)) : undefined;
  const list = readHandleList(handles, `${op}: handles`, room?.handles);
  const n = list.length;
  const sent = copyNumbers(sameLength(n, sentBytes, `${op}: sentBytes`), n, room?.sent);
  const received = receivedBytes === undefined ? undefined : copyNumbers(sameLength(n, receivedBytes, `${op}: receivedBytes`), n, room?.received);
  for (let i = 0; i < n; i++) if (!isHandleForm(list.values[i])) notAHandle(list, i, `${op}: handles`);
  const bytes = room ? room.bytes : new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const s = sent.values[i]!;
    if (!isBytes(s)) invalid(`${op}: sentBytes[${i}] must be an integer 0..4294967295, got ${sent.describe(i)}`, i);
    let b = s;
    if (received) {
      const r = received.values[i]!;
      if (!isBytes(r)) invalid(`${op}: receivedBytes[${i}] must be an integer 0..4294967295, got ${received.describe(i)}`, i);
      b = Math.min(0xffffffff, s + r);
    }
    bytes[i] = b;
  }
  return { n, handles: list, bytes };
}

/** A table's reused buffers for readTrafficBatch (typed-array input only), grown to the largest batch. */
export class TrafficScratch {
  handles = new Float64Array(0);
  sent = new Float64Array(0);
  received = new Float64Array(0);
  bytes = new Uint32Array(0);

  /** The buffers, with room for n entries. */
  room(n: number): this {
    if (this.handles.length < n) {
      const size = Math.max(n, 2 * this.handles.length);
      this.handles = new Float64Array(size);
      this.sent = new Float64Array(size);
      this.received = new Float64Array(size);
      this.bytes = new Uint32Array(size);
    }
    return this;
  }
}

const isBytes = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

// ---- batch arguments of the host's calls and the simulated target's (read once, checked) ----

/** The number of entries of a batch: `count` if given (at most the arrays' length), else the length of `first`. */
export function batchCount(op: string, count: unknown, arrays: [string, unknown][]): number {
  for (const [name, a] of arrays) {
    if (!isArrayLike(a)) invalid(`${op}: ${name} must be an array or typed array, got ${typeName(a)}`);
  }
  const shortest = Math.min(...arrays.map(([, a]) => (a as ArrayLike<unknown>).length));
  if (count === undefined) {
    const lengths = new Set(arrays.map(([, a]) => (a as ArrayLike<unknown>).length));
    if (lengths.size > 1)
      invalid(
        `${op}: ${arrays.map(([n]) => n).join(', ')} must have the same length (or pass count), got ${arrays.map(([, a]) => (a as ArrayLike<unknown>).length).join(', ')}`,
      );
    return shortest;
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > shortest) {
    invalid(`${op}: count must be an integer 0..${shortest} (the shortest array's length), got ${typeName(count)}`);
  }
  return count;
}

export function isArrayLike(a: unknown): a is ArrayLike<unknown> {
  return ArrayBuffer.isView(a) ? !(a instanceof DataView) : Array.isArray(a);
}

/**
 * Copies `count` entries of `from` into `to` (one read each), checking each is an integer in
 * [lo, hi]. Typed arrays whose element type already guarantees the range skip the check.
 */
export function readIntegers(op: string, name: string, from: ArrayLike<unknown>, count: number, to: Float64Array | Uint32Array, lo: number, hi: number): void {
  for (let i = 0; i < count; i++) {
    const v = from[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      invalid(`${op}: ${name}[${i}] must be an integer ${lo}..${hi}, got ${typeName(v)}`, i);
    }
    to[i] = v;
  }
}
