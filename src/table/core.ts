// Loading the Wasm core: one compiled module for the whole process, one instance and one linear
// memory per table, and typed views that are rebuilt when memory grows (growing detaches the old
// ArrayBuffer, so a view is never read without checking the buffer first).

import { CORE_WASM_BASE64 } from './generated/core-wasm.js';

/**
 * The core's exports (assembly/index.ts). Handles cross as f64 (safe integers, see
 * assembly/slab.ts); calls that return a handle return -ErrorCode on failure.
 */
export interface CoreExports {
  init(maxNeighbors: number, maxPaths: number, maxConnections: number): number;
  count(kind: number): number;
  retired(kind: number): number;
  heapBytes(): number;
  slabCapacity(kind: number): number;
  slabBytesPerSlot(kind: number): number;
  indexCapacity(kind: number): number;
  debugSetGeneration(kind: number, slot: number, gen: number): number;
  offloadNeighbor(ifIndex: number, lladdr: bigint): number;
  offloadPath(neighbor: number, mtu: number): number;
  offloadConnection(path: number, ports: number, priority: number): number;
  offloadConnections(n: number): number;
  stageHandles(n: number, base: number, want: number): number;
  validateConnections(n: number, base: number): number;
  reserveConnections(total: number): number;
  placeConnections(n: number, base: number): number;
  unplaceConnections(n: number): void;
  completeOffload(n: number, ok: number, prune: number): number;
  terminate(n: number, reason: number, prune: number): number;
  terminateInterface(ifIndex: number, reason: number, prune: number): number;
  terminateAll(reason: number, prune: number): number;
  completeTerminate(n: number, prune: number): number;
  widen(from: number, n: number, reasons: number): number;
  findNeighbor(ifIndex: number): number;
  findPath(): number;
  findConnection(ports: number): number;
  findConnections(n: number): number;
  /** Keys a batch lookup stages together (1 = one at a time); for benchmarks. */
  setLookupGroup(g: number): void;
  kindOf(h: number): number;
  stateOf(h: number): number;
  statusOf(h: number): number;
  parentOf(h: number): number;
  refCountOf(h: number): number;
  dependentsOf(h: number, from: number): number;
  keyOf(h: number): number;
  listAll(kind: number, from: number): number;
  listInterface(ifIndex: number, from: number): number;
  check(): number;
  setMtu(h: number, mtu: number): number;
  setLinkLayerAddress(h: number, lladdr: bigint): number;
  relinkPath(h: number, neighbor: number): number;
  recordTraffic(h: number, bytes: number): number;
  checkTraffic(n: number, base: number): number;
  applyTraffic(n: number): number;
  tick(dt: number, dtWhole: number, alpha: number, threshold: number, quietLimit: number): number;
  chooseVictims(k: number, priority: number): number;
}

// Header byte offsets (assembly/buffers.ts).
export const H_IO = 0;
export const H_IO_BYTES = 4;
export const H_ERR_INDEX = 8;
export const H_CURSOR = 12;
export const H_ERR_HANDLE = 16;
export const H_ERR_AUX = 24;
/** Cursor value of a finished listing. */
export const LIST_DONE = 0xffffffff;
/** Byte offsets from the header of the key scratch. */
export const KEY_SRC = 64;
export const KEY_DST = 80;
export const KEY_AUX = 96;

const PAGE = 65536;

let compiled: WebAssembly.Module | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;

function wasmBytes(): Uint8Array {
  const text = atob(CORE_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The compiled core, compiled once per process (asynchronously: fine on any thread). */
export function compileCore(): Promise<WebAssembly.Module> {
  if (compiled) return Promise.resolve(compiled);
  compiling ??= WebAssembly.compile(wasmBytes() as BufferSource).then((m) => (compiled = m));
  return compiling;
}

/** The compiled core, compiled synchronously if not yet (browsers limit this on the main thread). */
export function compileCoreSync(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(wasmBytes() as BufferSource);
  return compiled;
}

/** One instance of the core with its own memory, and views over that memory. */
export class Core {
  readonly exports: CoreExports;
  readonly memory: WebAssembly.Memory;
  /** Byte address of the header (assembly/buffers.ts). */
  readonly header: number;
  /** Byte address and size of the I/O window (assembly/buffers.ts): fixed for the table's life. */
  readonly io: number;
  readonly ioBytes: number;
  private buffer: ArrayBuffer;
  private bytes: Uint8Array;
  private words: Uint32Array;
  private doubles: Float64Array;

  constructor(module: WebAssembly.Module, initialBytes: number, maximumBytes: number, limits: [number, number, number]) {
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(initialBytes / PAGE),
      maximum: Math.floor(maximumBytes / PAGE),
    });
    const abort = () => {
      throw new Error('chimney-host core aborted: this is a bug in chimney-host, please report it');
    };
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory, abort } });
    this.exports = instance.exports as unknown as CoreExports;
    this.header = this.exports.init(limits[0], limits[1], limits[2]);
    this.buffer = this.memory.buffer;
    this.bytes = new Uint8Array(this.buffer);
    this.words = new Uint32Array(this.buffer);
    this.doubles = new Float64Array(this.buffer);
    if (this.header === 0) throw new RangeError('chimney-host: the table could not allocate its first buffers; raise maxMemoryBytes');
    this.io = this.word(H_IO);
    this.ioBytes = this.word(H_IO_BYTES);
  }

  /** Bytes of linear memory (valid until the next call into the core). */
  get u8(): Uint8Array {
    if (this.memory.buffer !== this.buffer) this.rebuild();
    return this.bytes;
  }

  /** Words of linear memory (valid until the next call into the core). */
  get u32(): Uint32Array {
    if (this.memory.buffer !== this.buffer) this.rebuild();
    return this.words;
  }

  /** Doubles of linear memory (valid until the next call into the core). */
  get f64(): Float64Array {
    if (this.memory.buffer !== this.buffer) this.rebuild();
    return this.doubles;
  }

  private rebuild(): void {
    this.buffer = this.memory.buffer;
    this.bytes = new Uint8Array(this.buffer);
    this.words = new Uint32Array(this.buffer);
    this.doubles = new Float64Array(this.buffer);
  }

  /** The u32 at header byte offset `at`. */
  word(at: number): number {
    return this.u32[(this.header + at) >>> 2]!;
  }

  /** The f64 at header byte offset `at` (8-aligned). */
  double(at: number): number {
    return this.f64[(this.header + at) >>> 3]!;
  }

  /** Entries of `bytesPerEntry` bytes that one chunk through the I/O window holds. */
  chunk(bytesPerEntry: number): number {
    return Math.floor(this.ioBytes / bytesPerEntry);
  }
}
