// Interfaces: every neighbor is linked into the list of its interface, so that everything on one
// interface (a media disconnect, a pause of one interface) is found without scanning the slab.
//
// An open-addressing table maps the interface index to the list head, linear probing, at most
// half full. An interface's entry goes with its last neighbor (backward-shift deletion, no
// tombstones), so interfaces that come and go (tunnels, VFs, hot-plugged NICs get fresh indexes)
// never fill the table: it holds the interfaces that have neighbors now.
//
//   entry (16 bytes): [ ifIndex u32 | head u32 (neighbor slot+1) | neighbors u32 | used u32 ]

import { allocBlock, freeBlock } from '../memory/alloc';
import { KIND_NEIGHBOR, at32, OFF_NEXT, OFF_PREV, OFF_IFINDEX, prev, next } from '../memory/slab';

// unmanaged! raw pointers into linear memory throughout.

@unmanaged class Entry {
  ifIndex: u32;
  /** Slot+1 of the first neighbor on the interface. */
  head: u32;
  neighbors: u32;
  used: u32;
}
/** Bytes of an entry (16). */
const ENTRY: usize = offsetof<Entry>();

let table: usize = 0;
let entries: u32 = 0; // capacity, power of two
let used: u32 = 0;

@inline function entry(i: u32): usize { return table + <usize>i * ENTRY; }
@inline function at(e: usize): Entry { return changetype<Entry>(e); }
@inline function home(ifIndex: u32): u32 { return (ifIndex * 0x9e3779b1) >>> 0; }

/** Entry address for `ifIndex`, 0 if the interface has never had a neighbor. */
export function findInterface(ifIndex: u32): usize {
  if (!entries) return 0;
  let m = entries - 1;
  let i = home(ifIndex) & m;
  while (true) {
    let e = entry(i);
    if (!at(e).used) return 0;
    if (at(e).ifIndex == ifIndex) return e;
    i = (i + 1) & m;
  }
}

/** Makes room for one more interface. False (nothing changed) when memory runs out. */
export function reserveInterface(ifIndex: u32): bool {
  if (findInterface(ifIndex)) return true;
  if ((used + 1) * 2 <= entries) return true;
  let count: u32 = entries ? entries << 1 : 16;
  let bytes = <usize>count * ENTRY;
  let fresh = allocBlock(bytes);
  if (!fresh) return false;
  memory.fill(fresh, 0, bytes);
  let m = count - 1;
  for (let i: u32 = 0; i < entries; i++) {
    let e = entry(i);
    if (!at(e).used) continue;
    let j = home(at(e).ifIndex) & m;
    while (at(fresh + <usize>j * ENTRY).used) j = (j + 1) & m;
    memory.copy(fresh + <usize>j * ENTRY, e, 16);
  }
  freeBlock(table, <usize>entries * ENTRY);
  table = fresh;
  entries = count;
  return true;
}

/** Links neighbor `slot` into its interface's list (reserveInterface must have been called). */
export function interfaceLink(slot: u32): void {
  let ifIndex = load<u32>(at32(KIND_NEIGHBOR, slot, OFF_IFINDEX));
  let e = findInterface(ifIndex);
  if (!e) {
    let m = entries - 1;
    let i = home(ifIndex) & m;
    while (at(entry(i)).used) i = (i + 1) & m;
    e = entry(i);
    at(e).ifIndex = ifIndex;
    at(e).used = 1;
    used++;
  }
  let first = at(e).head;
  store<u32>(at32(KIND_NEIGHBOR, slot, OFF_PREV), 0);
  store<u32>(at32(KIND_NEIGHBOR, slot, OFF_NEXT), first);
  if (first) store<u32>(at32(KIND_NEIGHBOR, first - 1, OFF_PREV), slot + 1);
  at(e).head = slot + 1;
  at(e).neighbors = at(e).neighbors + 1;
}

/** Unlinks neighbor `slot` from its interface's list. */
export function interfaceUnlink(slot: u32): void {
  let e = findInterface(load<u32>(at32(KIND_NEIGHBOR, slot, OFF_IFINDEX)));
  let before = prev(KIND_NEIGHBOR, slot);
  let after = next(KIND_NEIGHBOR, slot);
  if (before) store<u32>(at32(KIND_NEIGHBOR, before - 1, OFF_NEXT), after);
  else at(e).head = after;
  if (after) store<u32>(at32(KIND_NEIGHBOR, after - 1, OFF_PREV), before);
  let left = at(e).neighbors - 1;
  at(e).neighbors = left;
  if (!left) removeEntry(<u32>((e - table) / ENTRY));
}

/** Removes entry `i` (an interface with no neighbor left), shifting the rest of its probe run back. */
function removeEntry(i: u32): void {
  let m = entries - 1;
  let hole = i;
  let j = (i + 1) & m;
  while (at(entry(j)).used) {
    let h = home(at(entry(j)).ifIndex) & m;
    if (((j - h) & m) >= ((j - hole) & m)) {
      memory.copy(entry(hole), entry(j), 16);
      hole = j;
    }
    j = (j + 1) & m;
  }
  memory.fill(entry(hole), 0, 16);
  used--;
}

/** Slot+1 of the first neighbor on `ifIndex`, 0 if none. */
export function interfaceHead(ifIndex: u32): u32 {
  let e = findInterface(ifIndex);
  return e ? at(e).head : 0;
}

/** Neighbors on `ifIndex`. */
export function interfaceCount(ifIndex: u32): u32 {
  let e = findInterface(ifIndex);
  return e ? at(e).neighbors : 0;
}

/** Number of interface entries, and the interface index and list head of entry `i` (for check()). */
export function interfaceEntries(): u32 { return entries; }
export function interfaceUsedAt(i: u32): bool { return at(entry(i)).used != 0; }
export function interfaceKeyAt(i: u32): u32 { return at(entry(i)).ifIndex; }
export function interfaceHeadAt(i: u32): u32 { return at(entry(i)).head; }
export function interfaceCountAt(i: u32): u32 { return at(entry(i)).neighbors; }
