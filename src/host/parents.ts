// The neighbors and paths the host created on the target for its connections, so that a
// connection's parents are found by key without a table lookup, created once, and forgotten when
// the table prunes them (their last connection went).
//
//   entry:   0      1      2    ...
//   kind   [ N    | P    | P  ]          Kind.Neighbor / Kind.Path; 0 = free entry
//   state  [ Offl.| Offl.| Offloading ]  State of the table object (Terminating once it leaves)
//   handle [ h0   | h1   | h2 ]
//   call   [ 7    | 7    | 9  ]          initiate call that created it (parents of that call may be used in it)
//   key    Map 'kind|ifIndex|address bytes' -> entry
//
// Entries are typed-array rows with a free list; the only per-parent JS value is its key string.

import { State } from '../table/enums.js';
import { HandleIndex } from '../target/handle-index.js';

export class ParentRegistry {
  kind = new Uint8Array(64);
  state = new Uint8Array(64);
  handle = new Float64Array(64);
  call = new Uint32Array(64);
  private keyOf: string[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly byHandle = new HandleIndex();
  private count = 0;
  private free: number[] = [];
  private used = 0;

  /** Entries in use. */
  get size(): number {
    return this.count;
  }

  find(key: string): number {
    return this.byKey.get(key) ?? -1;
  }

  entryOf(handle: number): number {
    return this.byHandle.get(handle);
  }

  add(key: string, kind: number, handle: number, call: number): number {
    let e = this.free.pop();
    if (e === undefined) {
      e = this.used++;
      if (e === this.kind.length) this.grow();
    }
    this.kind[e] = kind;
    this.state[e] = State.Offloading;
    this.handle[e] = handle;
    this.call[e] = call;
    this.keyOf[e] = key;
    this.byKey.set(key, e);
    this.byHandle.set(handle, e);
    this.count++;
    return e;
  }

  /** Forgets an entry (its object was freed, or never made it to the target). */
  remove(e: number): void {
    if (e < 0 || this.kind[e] === 0) return;
    if (this.byKey.get(this.keyOf[e]!) === e) this.byKey.delete(this.keyOf[e]!);
    this.byHandle.delete(this.handle[e]!);
    this.count--;
    this.keyOf[e] = '';
    this.kind[e] = 0;
    this.free.push(e);
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const k = new Uint8Array(n);
    k.set(this.kind);
    this.kind = k;
    const s = new Uint8Array(n);
    s.set(this.state);
    this.state = s;
    const h = new Float64Array(n);
    h.set(this.handle);
    this.handle = h;
    const c = new Uint32Array(n);
    c.set(this.call);
    this.call = c;
  }
}

const chars: number[] = new Array<number>(10);

/** The registry key of a neighbor: interface and next hop. */
export function neighborKey(ifIndex: number, address: Uint8Array, at: number): string {
  return keyOf(1, ifIndex, address, at);
}

/** The registry key of a path: source and destination (32 bytes from `at`). */
export function pathKey(address: Uint8Array, at: number): string {
  return keyOf(2, 0, address, at) + keyOf(2, 0, address, at + 16);
}

function keyOf(kind: number, ifIndex: number, a: Uint8Array, at: number): string {
  chars[0] = kind;
  chars[1] = ifIndex & 0xffff;
  for (let i = 0; i < 8; i++) chars[2 + i] = (a[at + 2 * i]! << 8) | a[at + 2 * i + 1]!;
  return String.fromCharCode.apply(null, chars) + (ifIndex >>> 16 ? String.fromCharCode(ifIndex >>> 16) : '');
}
