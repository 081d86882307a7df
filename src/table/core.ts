// Loading the Wasm core: one compiled module for the whole process, one instance and one linear
// memory per table, and typed views that are rebuilt when memory grows (growing detaches the old
// ArrayBuffer, so a view is never read without checking the buffer first).

import { CORE_WASM_BASE64 } from './generated/core-wasm.js';
import { ErrorCode } from './enums.js';

/**
 * The core's functions (assembly/index.ts). Handles cross as f64 (safe integers, see
 * assembly/memory/slab.ts). One error convention for all: a call that fails returns -code (a core
 * ErrorCode, see Core.errorCode) and leaves the detail in the header (Core.errorIndex,
 * errorHandle, errorAux).
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
  /** Objects a walk (the index sweep) stages together (1 = one at a time); for benchmarks. */
  setWalkGroup(g: number): void;
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

/**
 * The contract the core exports as WebAssembly globals (assembly/index.ts), read once at load so
 * that no offset or number is written on both sides. Offsets are bytes from the header.
 */
export interface CoreContract {
  header: { io: number; ioBytes: number; errorIndex: number; cursor: number; errorHandle: number; errorAux: number };
  /** The key scratch (assembly/memory/buffers.ts, Key). */
  key: {
    source: number;
    destination: number;
    ifIndex: number;
    mtu: number;
    ports: number;
    priority: number;
    linkLayerAddress: number;
    bytes: number;
    rate: number;
    quietMs: number;
  };
  /** Cursor value of a finished listing. */
  listDone: number;
  handleSlotBits: number;
  handleGenerationBits: number;
  /** The core's enums (assembly/contract.ts): member name to value, per enum. */
  enums: Record<string, Record<string, number>>;
}

/** Reads the contract from an instance's exports; throws if the core is from another build. */
export function readContract(exports: WebAssembly.Exports): CoreContract {
  const value = (name: string): number => {
    const g = exports[name];
    if (!(g instanceof WebAssembly.Global)) {
      throw new Error(`chimney-host: the Wasm core does not export ${name}; it is from another build than this JavaScript (run npm run build)`);
    }
    return (g.value as number) >>> 0; // u32 values (LIST_DONE) arrive as signed i32
  };
  const enums: Record<string, Record<string, number>> = {};
  for (const [name, g] of Object.entries(exports)) {
    const dot = name.indexOf('.');
    if (dot < 0 || !(g instanceof WebAssembly.Global)) continue;
    (enums[name.slice(0, dot)] ??= {})[name.slice(dot + 1)] = g.value as number;
  }
  return {
    header: {
      io: value('HEADER_IO'),
      ioBytes: value('HEADER_IO_BYTES'),
      errorIndex: value('HEADER_ERROR_INDEX'),
      cursor: value('HEADER_CURSOR'),
      errorHandle: value('HEADER_ERROR_HANDLE'),
      errorAux: value('HEADER_ERROR_AUX'),
    },
    key: {
      source: value('KEY_SOURCE'),
      destination: value('KEY_DESTINATION'),
      ifIndex: value('KEY_IF_INDEX'),
      mtu: value('KEY_MTU'),
      ports: value('KEY_PORTS'),
      priority: value('KEY_PRIORITY'),
      linkLayerAddress: value('KEY_LINK_LAYER_ADDRESS'),
      bytes: value('KEY_BYTES'),
      rate: value('KEY_RATE'),
      quietMs: value('KEY_QUIET_MS'),
    },
    listDone: value('LIST_DONE'),
    handleSlotBits: value('HANDLE_SLOT_BITS'),
    handleGenerationBits: value('HANDLE_GENERATION_BITS'),
    enums,
  };
}

/** Messages of check()'s broken invariants, by the core's Invariant names (assembly/contract.ts). */
export const INVARIANT_MESSAGES: Readonly<Record<string, string>> = {
  BadState: 'an object has an impossible state (or is pending while Terminating)',
  MarkLeft: 'a scratch mark survived a call',
  LiveCount: 'the live count of a kind differs from its live slots',
  FreeList: 'the free list misses a free slot, holds a live one, or loops',
  ParentFree: 'an object is linked to a parent that is not allocated',
  ListBroken: 'a dependent list has a bad link',
  RefCount: 'a refcount differs from the number of linked dependents',
  Unlisted: 'a live object is in no dependent list',
  StateOrder: "a dependent's state does not fit its parent's",
  IndexEntry: 'a key index bucket names a free slot, or its count is wrong',
  IndexMiss: 'an object is not found by its own key',
  Interface: 'an interface list is broken or miscounted',
  Victims: 'the victim lists do not hold exactly the Offloaded connections',
};

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
  /** Offsets and numbers shared with the core, read from it (see readContract). */
  readonly contract: CoreContract;
  readonly memory: WebAssembly.Memory;
  /** Byte address of the header (assembly/memory/buffers.ts). */
  readonly header: number;
  /** Byte addresses of the key scratch's two 16-byte addresses (source, destination). */
  readonly keySource: number;
  readonly keyDestination: number;
  /** Byte address and size of the I/O window (assembly/memory/buffers.ts): fixed for the table's life. */
  readonly io: number;
  readonly ioBytes: number;
  /** Core error numbers to codes, and Invariant numbers to names (from the contract). */
  private readonly errorCodes = new Map<number, ErrorCode>();
  private readonly invariantNames = new Map<number, string>();
  // Views over the whole memory, made by rebuild() (in the constructor, and after a growth).
  private bytes!: Uint8Array;
  private words!: Uint32Array;
  private doubles!: Float64Array;

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
    this.contract = readContract(instance.exports);
    for (const [name, n] of Object.entries(this.contract.enums.ErrorCode ?? {})) {
      if (name in ErrorCode) this.errorCodes.set(n, ErrorCode[name as keyof typeof ErrorCode]);
    }
    for (const [name, n] of Object.entries(this.contract.enums.Invariant ?? {})) this.invariantNames.set(n, name);
    this.header = this.exports.init(limits[0], limits[1], limits[2]);
    this.keySource = this.header + this.contract.key.source;
    this.keyDestination = this.header + this.contract.key.destination;
    this.rebuild();
    if (this.header === 0) throw new RangeError('chimney-host: the table could not allocate its first buffers; raise maxMemoryBytes');
    this.io = this.word(this.contract.header.io);
    this.ioBytes = this.word(this.contract.header.ioBytes);
  }

  // Growing the memory (not shared) detaches the old ArrayBuffer, leaving every view over it with length
  // 0 (linear memory is never empty: the header lives in it). Testing a view's length is a field
  // read; asking the Memory for its buffer is a call into the engine on every access, which was a
  // tenth of a one-victim chooseVictims + terminate (BENCHMARKS.md, issue 12).

  /** Bytes of linear memory (valid until the next call into the core). */
  get u8(): Uint8Array {
    if (this.bytes.length === 0) this.rebuild();
    return this.bytes;
  }

  /** Words of linear memory (valid until the next call into the core). */
  get u32(): Uint32Array {
    if (this.words.length === 0) this.rebuild();
    return this.words;
  }

  /** Doubles of linear memory (valid until the next call into the core). */
  get f64(): Float64Array {
    if (this.doubles.length === 0) this.rebuild();
    return this.doubles;
  }

  private rebuild(): void {
    const buffer = this.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.words = new Uint32Array(buffer);
    this.doubles = new Float64Array(buffer);
  }

  /** The u32 at header byte offset `at`. */
  word(at: number): number {
    return this.u32[(this.header + at) >>> 2]!;
  }

  /** The f64 at header byte offset `at` (8-aligned). */
  double(at: number): number {
    return this.f64[(this.header + at) >>> 3]!;
  }

  /** The batch entry the last error is about, -1 if none. */
  errorIndex(): number {
    return this.word(this.contract.header.errorIndex) | 0;
  }

  /** The handle the last error is about, 0 if none. */
  errorHandle(): number {
    return this.double(this.contract.header.errorHandle);
  }

  /** More detail of the last error: a count, a state, another handle, an invariant (see assembly/index.ts). */
  errorAux(): number {
    return this.double(this.contract.header.errorAux);
  }

  /** Where a chunked listing goes on; the contract's listDone when it is finished. */
  cursor(): number {
    return this.word(this.contract.header.cursor);
  }

  /** The ErrorCode of core error number `code` (a -result); InvariantBroken for a number it does not know. */
  errorCode(code: number): ErrorCode {
    return this.errorCodes.get(code) ?? ErrorCode.InvariantBroken;
  }

  /** What the broken invariant `n` (check()'s error aux) means, for people. */
  invariantMessage(n: number): string {
    const name = this.invariantNames.get(n);
    return (name && INVARIANT_MESSAGES[name]) ?? `invariant ${n}`;
  }

  /** Entries of `bytesPerEntry` bytes that one chunk through the I/O window holds. */
  chunk(bytesPerEntry: number): number {
    return Math.floor(this.ioBytes / bytesPerEntry);
  }
}
