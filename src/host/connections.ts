// The host's connections, as columns: every connection from open() to close(), offloaded or in
// software. One slot per connection, typed arrays indexed by slot, so that a tick over a million
// connections is a few passes over arrays and never a JS object per connection.
//
//   slot:      0        1        2     ...  length-1
//   id       [ 1·2^26 | 3·2^26+1 | 0  | ... ]   public id = generation·2^26 + slot; 0 = free slot
//   status   [ Sw     | Offl.    | Free | ...]   ConnectionStatus
//   handle   [ 0      | h        | 0  | ... ]   table handle while on the target
//   address  [ nextHop 16 | source 16 | destination 16 ] per slot, 48 bytes (IPv4-mapped)
//   ... one array per column of ConnectionColumns, plus the host's own (below)
//
// A public id is never reused: the generation of a slot goes up each time the slot is freed, and
// a slot whose generation is exhausted is retired rather than wrapped, so an id of a closed
// connection can never name a new one. Ids stay below 2^53 (safe integers). The generation is
// kept in the id itself: release() works out the slot's next id and pushes it with the slot on
// the free stack, so open() reads it from the stack's top (no load from a column of the slot).
//
//   free     [ slot | slot | ... ]   freed slots ready for reuse, a stack
//   freeIds  [ id   | id   | ... ]   the id each of them takes next (its generation + 1)
//
// `live` lists the slots in use (dense; a slot knows its position, so removal is a swap with the
// last); `arrived` lists the slots opened since the previous tick, and `active` (rebuilt by the
// engine's tick in slot order) those that moved bytes in it.

import { ConnectionStatus, type ConnectionColumns } from './policy.js';

/** Slots per generation step: up to 2^26 (67 million) connections open at once. */
export const SLOT_SPACE = 2 ** 26;
/** Ids stay below 2^53: a slot whose next id would not is retired (2^27 - 1 generations per slot). */
const ID_LIMIT = 2 ** 53;
/** Bytes of addresses per slot: next hop, source, destination. */
export const ADDRESS_BYTES = 48;

export class ConnectionStore implements ConnectionColumns {
  length = 0;
  id = new Float64Array(0);
  status = new Uint8Array(0);
  priority = new Uint8Array(0);
  openedAt = new Float64Array(0);
  lastActiveAt = new Float64Array(0);
  bytes = new Float64Array(0);
  offloadedBytes = new Float64Array(0);
  tickBytes = new Float64Array(0);
  rate = new Float32Array(0);
  handle = new Float64Array(0);
  offloadedAt = new Float64Array(0);

  // ---- the host's own columns (not part of the policy interface) ----
  ifIndex = new Uint32Array(0);
  /** 48 bytes per slot: next hop, source, destination. */
  address = new Uint8Array(0);
  /** The same bytes as 32-bit words (12 per slot), for copying addresses a word at a time. */
  address32 = new Uint32Array(0);
  localPort = new Uint16Array(0);
  remotePort = new Uint16Array(0);
  /** Bytes sent since open (received = bytes - sent): the software stack's sequence numbers at an offload. */
  sent = new Float64Array(0);
  /**
   * This offload: while Offloaded, `sent` and `bytes` when it became Offloaded; from Terminating
   * on, the bytes sent and moved while it was Offloaded (kept apart so that traffic() touches
   * as few columns as possible: every byte moved while Offloaded is an offloaded byte).
   */
  episodeSent = new Float64Array(0);
  episodeBytes = new Float64Array(0);
  /** Standing traffic (HostStack.steady): bytes sent and received at every tick until changed. */
  standingSent = new Float64Array(0);
  standingReceived = new Float64Array(0);
  /** The TCP state handed to the target at this offload. */
  initialSndUna = new Float64Array(0);
  initialRcvNxt = new Float64Array(0);
  /** 1 once the connection was Offloaded (time to offload counts the first time only). */
  everOffloaded = new Uint8Array(0);
  /** The path entry (parents.ts) while on the target, -1 otherwise. */
  path = new Int32Array(0);
  /** close() was called; the slot is freed when its termination completes. */
  closed = new Uint8Array(0);
  /** Tick number at which the slot was last offered in an offload decision (dedupe). */
  offerStamp = new Uint32Array(0);
  /** Position in `live`. */
  livePosition = new Uint32Array(0);

  live = new Uint32Array(0);
  liveCount = 0;
  /** Slots opened since the previous tick (some may have closed since). */
  readonly arrived = new SlotList();
  /** Slots that moved bytes in the tick just counted, in slot order (the engine's tick lists them). */
  readonly active = new SlotList();

  /** Freed slots ready for reuse (a stack). */
  private free = new Uint32Array(0);
  private freeIds = new Float64Array(0);
  private freeCount = 0;
  private capacity = 0;

  constructor(initial = 1024) {
    this.grow(initial);
  }

  /** The slot of public id `id`, or -1 if it names no open connection (closed, freed, never issued). */
  slotOf(id: number): number {
    if (typeof id !== 'number' || !(id >= SLOT_SPACE) || !Number.isSafeInteger(id)) return -1;
    const slot = (id - Math.floor(id / SLOT_SPACE) * SLOT_SPACE) | 0;
    return slot < this.length && this.id[slot] === id ? slot : -1;
  }

  /**
   * A new slot, Software, with a fresh id; the caller fills its key columns.
   *
   * A reused slot's columns are each a cache miss to write (a million opens a run), so the columns
   * that a free slot holds at their opening value already are not written again:
   * - handle 0 and path -1: a connection has them whenever it is not on the target, and release()
   *   sets them too; a slot never used gets path -1 here;
   * - standingSent/standingReceived 0: close() stops standing traffic before a slot is freed, and
   *   steady() refuses a closed id;
   * - closed 0: release() resets it, where the line was just read;
   * - offerStamp: it only matters when equal to the tick number of a decision being carried out,
   *   and every stamp a freed slot holds is from an earlier tick (the engine stamps slots and then
   *   moves the tick number on, with no open() in between).
   */
  allocate(now: number): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.free[--this.freeCount]!;
      this.id[slot] = this.freeIds[this.freeCount]!;
    } else {
      if (this.length === this.capacity) this.grow(this.capacity * 2);
      if (this.length >= SLOT_SPACE) throw new RangeError(`more than ${SLOT_SPACE} connections open at once`);
      slot = this.length++;
      this.id[slot] = SLOT_SPACE + slot; // generation 1
      this.path[slot] = -1;
    }
    this.status[slot] = ConnectionStatus.Software;
    this.openedAt[slot] = now;
    this.lastActiveAt[slot] = now;
    this.bytes[slot] = 0;
    this.offloadedBytes[slot] = 0;
    this.tickBytes[slot] = 0;
    this.rate[slot] = 0;
    this.offloadedAt[slot] = 0;
    this.sent[slot] = 0;
    this.everOffloaded[slot] = 0;
    this.livePosition[slot] = this.liveCount;
    this.live[this.liveCount++] = slot;
    this.arrived.push(slot);
    return slot;
  }

  /** Frees a slot: its id is never valid again. Its standing traffic must be (0, 0) already (see allocate). */
  release(slot: number): void {
    const next = this.id[slot]! + SLOT_SPACE;
    this.id[slot] = 0;
    this.status[slot] = ConnectionStatus.Free;
    this.handle[slot] = 0;
    this.path[slot] = -1;
    this.closed[slot] = 0;
    const at = this.livePosition[slot]!;
    const last = this.live[--this.liveCount]!;
    this.live[at] = last;
    this.livePosition[last] = at;
    if (next < ID_LIMIT) {
      this.free[this.freeCount] = slot;
      this.freeIds[this.freeCount++] = next;
    }
  }

  /** True if `n` more connections can open (slots free or never used). */
  roomFor(n: number): boolean {
    return n <= this.freeCount + (SLOT_SPACE - this.length);
  }

  private grow(capacity: number): void {
    const f64 = (a: ArrayLike<number>) => copy(new Float64Array(capacity), a);
    const u32 = (a: ArrayLike<number>) => copy(new Uint32Array(capacity), a);
    const u8 = (a: ArrayLike<number>) => copy(new Uint8Array(capacity), a);
    this.id = f64(this.id);
    this.status = u8(this.status);
    this.priority = u8(this.priority);
    this.openedAt = f64(this.openedAt);
    this.lastActiveAt = f64(this.lastActiveAt);
    this.bytes = f64(this.bytes);
    this.offloadedBytes = f64(this.offloadedBytes);
    this.tickBytes = f64(this.tickBytes);
    this.rate = copy(new Float32Array(capacity), this.rate);
    this.handle = f64(this.handle);
    this.offloadedAt = f64(this.offloadedAt);
    this.ifIndex = u32(this.ifIndex);
    this.address = copy(new Uint8Array(capacity * ADDRESS_BYTES), this.address);
    this.address32 = new Uint32Array(this.address.buffer);
    this.localPort = copy(new Uint16Array(capacity), this.localPort);
    this.remotePort = copy(new Uint16Array(capacity), this.remotePort);
    this.sent = f64(this.sent);
    this.standingSent = f64(this.standingSent);
    this.standingReceived = f64(this.standingReceived);
    this.episodeSent = f64(this.episodeSent);
    this.episodeBytes = f64(this.episodeBytes);
    this.initialSndUna = f64(this.initialSndUna);
    this.initialRcvNxt = f64(this.initialRcvNxt);
    this.everOffloaded = u8(this.everOffloaded);
    this.path = copy(new Int32Array(capacity), this.path);
    this.closed = u8(this.closed);
    this.offerStamp = u32(this.offerStamp);
    this.livePosition = u32(this.livePosition);
    this.live = u32(this.live);
    this.free = u32(this.free);
    this.freeIds = f64(this.freeIds);
    this.capacity = capacity;
  }
}

function copy<T extends { set(from: ArrayLike<number>): void }>(to: T, from: ArrayLike<number>): T {
  to.set(from);
  return to;
}

/** A growable list of slots. */
export class SlotList {
  items = new Uint32Array(256);
  count = 0;

  push(slot: number): void {
    if (this.count === this.items.length) {
      const bigger = new Uint32Array(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    this.items[this.count++] = slot;
  }

  /** The slots listed, as a view (valid until the next push or clear). */
  view(): Uint32Array {
    return this.items.subarray(0, this.count);
  }

  clear(): void {
    this.count = 0;
  }
}
