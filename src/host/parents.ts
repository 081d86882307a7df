// The neighbors and paths the host created on the target for its connections, so that a
// connection's parents are found by key without a table lookup, created once, and forgotten when
// the table prunes them (their last connection went). A million-connection run creates and prunes
// a path for most connections, so finding, adding and removing cost no string and no object.
//
//   entry:   0      1      2    ...
//   kind   [ N    | P    | P  ]          Kind.Neighbor / Kind.Path; 0 = free entry
//   state  [ Offl.| Offl.| Offloading ]  State of the table object (Terminating once it leaves)
//   handle [ h0   | h1   | h2 ]
//   call   [ 7    | 7    | 9  ]          initiate call that created it (parents of that call may be used in it)
//   words  [ ifIndex, next hop x4, 0 x4 | 0, source x4, destination x4 | ... ]   the key, 9 words per entry
//   hash   [ ...                  ]      hash of the key
//
//   index    Int32Array, a power of two, at most half full: entry + 1 (0 = empty), open addressing
//            with linear probing; removal by backward shift, so no tombstones pile up under churn
//   byHandle HandleIndex: handle -> entry
//
// Addresses come as 32-bit words (four per 16-byte address) of the connection store's address
// column (src/host/connections.ts), so a key is read straight from there.

import { Kind, State } from '../table/enums.js';
import { HandleIndex } from '../target/handle-index.js';

const WORDS = 9;

export class ParentRegistry {
  kind = new Uint8Array(64);
  state = new Uint8Array(64);
  handle = new Float64Array(64);
  call = new Uint32Array(64);
  private words = new Uint32Array(64 * WORDS);
  private hash = new Uint32Array(64);
  private index = new Int32Array(256);
  private mask = 255;
  private readonly byHandle = new HandleIndex();
  private count = 0;
  private free: number[] = [];
  private used = 0;

  /** Entries in use. */
  get size(): number {
    return this.count;
  }

  /** The neighbor entry for interface `ifIndex` and the next hop in words[at..at+4), or -1. */
  findNeighbor(ifIndex: number, words: Uint32Array, at: number): number {
    return this.find(Kind.Neighbor, ifIndex >>> 0, words, at, 4);
  }

  /** The path entry for the source and destination in words[at..at+8), or -1. */
  findPath(words: Uint32Array, at: number): number {
    return this.find(Kind.Path, 0, words, at, 8);
  }

  entryOf(handle: number): number {
    return handle > 0 ? this.byHandle.get(handle) : -1;
  }

  addNeighbor(ifIndex: number, words: Uint32Array, at: number, handle: number, call: number): number {
    return this.add(Kind.Neighbor, ifIndex >>> 0, words, at, 4, handle, call);
  }

  addPath(words: Uint32Array, at: number, handle: number, call: number): number {
    return this.add(Kind.Path, 0, words, at, 8, handle, call);
  }

  /** Forgets an entry (its object was freed, or never made it to the target). */
  remove(e: number): void {
    if (e < 0 || this.kind[e] === 0) return;
    this.unindex(e);
    this.byHandle.delete(this.handle[e]!);
    this.count--;
    this.kind[e] = 0;
    this.free.push(e);
  }

  private find(kind: number, ifIndex: number, words: Uint32Array, at: number, n: number): number {
    const h = hashKey(kind, ifIndex, words, at, n);
    const index = this.index;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i]! - 1;
      if (e < 0) return -1;
      if (this.hash[e] === h && this.kind[e] === kind && this.same(e, ifIndex, words, at, n)) return e;
    }
  }

  private same(e: number, ifIndex: number, words: Uint32Array, at: number, n: number): boolean {
    const own = this.words;
    const base = e * WORDS;
    if (own[base] !== ifIndex) return false;
    for (let w = 0; w < n; w++) if (own[base + 1 + w] !== words[at + w]) return false;
    return true;
  }

  private add(kind: number, ifIndex: number, words: Uint32Array, at: number, n: number, handle: number, call: number): number {
    let e = this.free.pop();
    if (e === undefined) {
      e = this.used++;
      if (e === this.kind.length) this.grow();
    }
    this.kind[e] = kind;
    this.state[e] = State.Offloading;
    this.handle[e] = handle;
    this.call[e] = call;
    const own = this.words;
    const base = e * WORDS;
    own[base] = ifIndex;
    for (let w = 0; w < 8; w++) own[base + 1 + w] = w < n ? words[at + w]! : 0;
    this.hash[e] = hashKey(kind, ifIndex, words, at, n);
    if ((this.count + 1) * 2 > this.index.length) this.reindex(this.index.length * 2);
    this.insert(e);
    this.byHandle.set(handle, e);
    this.count++;
    return e;
  }

  private insert(e: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = this.hash[e]! & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = e + 1;
  }

  private unindex(e: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = this.hash[e]! & mask;
    while (index[i] !== e + 1) {
      if (index[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward shift: later entries of the probe run move into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash[index[j]! - 1]! & mask;
      // j's entry may fill the hole if its home is not cyclically within (hole, j].
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        index[hole] = index[j]!;
        hole = j;
      }
    }
    index[hole] = 0;
  }

  private reindex(size: number): void {
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let e = 0; e < this.used; e++) if (this.kind[e] !== 0) this.insert(e);
  }

  private grow(): void {
    const n = this.kind.length * 2;
    this.kind = widen(new Uint8Array(n), this.kind);
    this.state = widen(new Uint8Array(n), this.state);
    this.handle = widen(new Float64Array(n), this.handle);
    this.call = widen(new Uint32Array(n), this.call);
    this.hash = widen(new Uint32Array(n), this.hash);
    this.words = widen(new Uint32Array(n * WORDS), this.words);
  }
}

function widen<T extends { set(from: ArrayLike<number>): void }>(to: T, from: ArrayLike<number>): T {
  to.set(from);
  return to;
}

/** Mixes a key's kind, interface and words into 32 bits. */
function hashKey(kind: number, ifIndex: number, words: Uint32Array, at: number, n: number): number {
  let h = Math.imul(kind, 0x9e3779b1) ^ ifIndex;
  for (let w = 0; w < n; w++) {
    h = Math.imul(h ^ words[at + w]!, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
