// The front end of both tables: every public call of OffloadTable and ReferenceTable reads its
// arguments here, once, and gets them back checked (types, ranges, address syntax) in the form the
// table uses. A bad argument throws InvalidArgument naming the call and the field before the table
// has looked at anything. What the table refuses after that (stale handles, states, keys, limits)
// is refusals.ts's; the batch readers are validate.ts's.
//
// Keys are written into the table's key buffer (KeySink) only after every argument has been read:
// a getter or Proxy of the caller's runs while its argument is read, never between the write of a
// key and the table's use of it, so it cannot change (or, by calling the table, overwrite) what
// was validated.

import { takeAddress, writeTaken, parseLinkLayerAddress, typeName } from './address.js';
import { invalid } from './errors.js';
import type { Kind } from './enums.js';
import {
  requireObject,
  requireInt,
  requireU32,
  requireHandle,
  isHandleForm,
  notHandle,
  requireKind,
  requireReason,
  readPrune,
  requireBytes,
  readActivityPolicy,
  tickStep,
  type ResolvedActivityPolicy,
} from './validate.js';

/**
 * Where a table wants an address key: bytes() is asked once, after every argument has been read
 * (a table over Wasm memory answers with a view that is current then). One address goes at `src`,
 * a path's destination at `dst`.
 */
export interface KeySink {
  bytes(): Uint8Array;
  readonly src: number;
  readonly dst: number;
}

/** Default MTU of a path (offloadPath without mtu). */
const DEFAULT_MTU = 1500;
const MIN_MTU = 68;

// ---- offload -----------------------------------------------------------------------------------

/** offloadNeighbor({ ifIndex, address, linkLayerAddress? }): the address goes to the sink's src. */
export function readNeighbor(neighbor: unknown, sink: KeySink): { ifIndex: number; linkLayerAddress: number } {
  requireObject(neighbor, 'offloadNeighbor', 'neighbor');
  const { ifIndex: i, address: a, linkLayerAddress: l } = neighbor as Record<string, unknown>;
  const ifIndex = requireU32(i, 'offloadNeighbor: ifIndex');
  const linkLayerAddress = l === undefined ? 0 : parseLinkLayerAddress(l, 'offloadNeighbor: linkLayerAddress');
  const address = takeAddress(a);
  writeTaken(address, sink.bytes(), sink.src, 'offloadNeighbor: address');
  return { ifIndex, linkLayerAddress };
}

/** offloadPath({ source, destination, mtu? }, neighbor): source and destination go to the sink. */
export function readPath(path: unknown, neighbor: unknown, sink: KeySink): { neighbor: number; mtu: number } {
  requireObject(path, 'offloadPath', 'path');
  const parent = requireHandle(neighbor, 'offloadPath: neighbor');
  const { source: s, destination: d, mtu: m } = path as Record<string, unknown>;
  const mtu = m === undefined ? DEFAULT_MTU : requireInt(m, MIN_MTU, 65535, 'offloadPath: mtu');
  writePair(takeAddress(s), takeAddress(d), sink, 'offloadPath');
  return { neighbor: parent, mtu };
}

/**
 * offloadConnection({ localPort, remotePort, priority? }, path): ports packed local << 16 | remote.
 * The hottest reader of all (one call per connection) answers in one record, reused: its fields
 * are written after the last read of the caller's object, so take them (destructure) before
 * running anything that could call a table again.
 */
export function readConnection(connection: unknown, path: unknown): Readonly<ConnectionArgs> {
  requireObject(connection, 'offloadConnection', 'connection');
  const parent = requireHandle(path, 'offloadConnection: path');
  const { localPort, remotePort, priority: p } = connection as Record<string, unknown>;
  const ports = packPorts(localPort, remotePort, 'offloadConnection');
  const priority = p === undefined ? 0 : requireInt(p, 0, 255, 'offloadConnection: priority');
  CONNECTION.path = parent;
  CONNECTION.ports = ports;
  CONNECTION.priority = priority;
  return CONNECTION;
}

interface ConnectionArgs {
  path: number;
  ports: number;
  priority: number;
}
const CONNECTION: ConnectionArgs = { path: 0, ports: 0, priority: 0 };

/** completeOffload(handles, ok = true, options): the handles are read by the table (see readHandleList). */
export function readCompleteOffload(ok: unknown, options: unknown): { ok: boolean; prune: boolean } {
  if (typeof ok !== 'boolean') invalid(`completeOffload: ok must be a boolean, got ${typeName(ok)}`);
  return { ok, prune: readPrune(options as undefined, 'completeOffload') === 1 };
}

// ---- terminate ---------------------------------------------------------------------------------

/** terminate(handles, reason, options) and terminateAll(reason, options). */
export function readTerminate(op: string, reason: unknown, options: unknown): { reason: number; prune: boolean } {
  const why = requireReason(reason, op);
  return { reason: why, prune: readPrune(options as undefined, op) === 1 };
}

/** terminateInterface(ifIndex, reason, options). */
export function readTerminateInterface(ifIndex: unknown, reason: unknown, options: unknown): { ifIndex: number; reason: number; prune: boolean } {
  const index = requireU32(ifIndex, 'terminateInterface: ifIndex');
  const { reason: why, prune } = readTerminate('terminateInterface', reason, options);
  return { ifIndex: index, reason: why, prune };
}

/** completeTerminate(handles, options). */
export function readCompleteTerminate(options: unknown): boolean {
  return readPrune(options as undefined, 'completeTerminate') === 1;
}

// ---- lookups -----------------------------------------------------------------------------------

/** findNeighbor({ ifIndex, address }): the address goes to the sink's src. */
export function readNeighborKey(key: unknown, sink: KeySink): number {
  requireObject(key, 'findNeighbor', 'key');
  const { ifIndex: i, address: a } = key as Record<string, unknown>;
  const ifIndex = requireU32(i, 'findNeighbor: ifIndex');
  writeTaken(takeAddress(a), sink.bytes(), sink.src, 'findNeighbor: address');
  return ifIndex;
}

/** findPath({ source, destination }). */
export function readPathKey(key: unknown, sink: KeySink): void {
  requireObject(key, 'findPath', 'key');
  const { source, destination } = key as Record<string, unknown>;
  writePair(takeAddress(source), takeAddress(destination), sink, 'findPath');
}

/**
 * findConnection({ source, destination, localPort, remotePort }): returns the packed ports.
 * `op` names the public call for messages (a caller that validates a connection key for its own
 * call passes its name).
 */
export function readConnectionKey(key: unknown, sink: KeySink, op = 'findConnection'): number {
  requireObject(key, op, 'key');
  const { source: s, destination: d, localPort, remotePort } = key as Record<string, unknown>;
  const ports = packPorts(localPort, remotePort, op);
  writePair(takeAddress(s), takeAddress(d), sink, op);
  return ports;
}

// ---- one object --------------------------------------------------------------------------------

/** The handle of a one-object call (state, describe, ...). */
export function readHandle(op: string, handle: unknown): number {
  if (!isHandleForm(handle)) notHandle(`${op}: handle`, handle); // the message is built only when it is needed
  return handle;
}

/** count(kind), handles(kind), retiredSlots(kind). */
export function readKind(op: string, kind: unknown): Kind {
  return requireKind(kind, op);
}

/** neighborsOn(ifIndex). */
export function readIfIndex(op: string, ifIndex: unknown): number {
  return requireU32(ifIndex, `${op}: ifIndex`);
}

/** recordTraffic(handle, sentBytes, receivedBytes = 0): bytes is their sum, capped at 2^32-1. */
export function readTraffic(handle: unknown, sentBytes: unknown, receivedBytes: unknown): { handle: number; bytes: number } {
  const h = requireHandle(handle, 'recordTraffic: handle');
  const sent = requireBytes(sentBytes, 'recordTraffic: sentBytes');
  const received = receivedBytes === undefined ? 0 : requireBytes(receivedBytes, 'recordTraffic: receivedBytes');
  return { handle: h, bytes: Math.min(0xffffffff, sent + received) };
}

/** chooseVictims(count, priority): priority 256 means any connection. */
export function readVictims(count: unknown, priority: unknown): { count: number; below: number } {
  const k = requireInt(count, 0, 0xffffffff, 'chooseVictims: count');
  const below = requireInt(priority, 0, 256, 'chooseVictims: priority (0..255, or 256 for any connection)');
  return { count: k, below };
}

/** updatePath(handle, { mtu }). */
export function readPathUpdate(handle: unknown, update: unknown): { handle: number; mtu: number } {
  const h = requireHandle(handle, 'updatePath: handle');
  requireObject(update, 'updatePath', 'update');
  return { handle: h, mtu: requireInt((update as Record<string, unknown>).mtu, MIN_MTU, 65535, 'updatePath: mtu') };
}

/** updateNeighbor(handle, { linkLayerAddress }). */
export function readNeighborUpdate(handle: unknown, update: unknown): { handle: number; linkLayerAddress: number } {
  const h = requireHandle(handle, 'updateNeighbor: handle');
  requireObject(update, 'updateNeighbor', 'update');
  return { handle: h, linkLayerAddress: parseLinkLayerAddress((update as Record<string, unknown>).linkLayerAddress, 'updateNeighbor: linkLayerAddress') };
}

/** relinkPath(path, neighbor). */
export function readRelink(path: unknown, neighbor: unknown): { path: number; neighbor: number } {
  return { path: requireHandle(path, 'relinkPath: path'), neighbor: requireHandle(neighbor, 'relinkPath: neighbor') };
}

// ---- tick --------------------------------------------------------------------------------------

/** A tick's arguments: the policy with its defaults, and the time since the previous tick. */
export interface Tick {
  readonly policy: ResolvedActivityPolicy;
  /** ms since the previous tick; 0 on the first (which only starts the clock). */
  readonly dt: number;
  readonly dtWhole: number;
  readonly alpha: number;
}

/** tick(now, policy): each table keeps one, which remembers the previous tick's time. */
export class TickClock {
  private last: number | undefined;

  /** Reads and checks the arguments of tick(now, policy); the clock moves only if they are good. */
  read(now: unknown, policy: unknown): Tick {
    const p = readActivityPolicy(policy as undefined, 'tick');
    const step = tickStep(now, this.last, p, 'tick');
    this.last = now as number;
    return { policy: p, ...step };
  }
}

// ---- plumbing ----------------------------------------------------------------------------------

/** Local and remote port, checked in that order, packed local << 16 | remote. */
export function packPorts(localPort: unknown, remotePort: unknown, op: string): number {
  if (!isPort(localPort)) requireInt(localPort, 0, 65535, `${op}: localPort`); // throws with the message
  if (!isPort(remotePort)) requireInt(remotePort, 0, 65535, `${op}: remotePort`);
  return (((localPort as number) << 16) | (remotePort as number)) >>> 0;
}

const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

/** Source then destination, each checked, written to the sink (both read already: no caller code runs here). */
function writePair(source: ReturnType<typeof takeAddress>, destination: ReturnType<typeof takeAddress>, sink: KeySink, op: string): void {
  const bytes = sink.bytes();
  writeTaken(source, bytes, sink.src, `${op}: source`);
  writeTaken(destination, bytes, sink.dst, `${op}: destination`);
}
