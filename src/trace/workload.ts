// A recorded trace as a WorkloadSource (src/sim/source.ts): `openTraceWorkload(file, { tickMs })`
// reads a pcap, pcapng (either possibly gzip-compressed) or Zeek conn.log and replays it tick by
// tick. Tick 0 starts at the first packet. Stretches with nothing alive (no connection open or
// lingering) are cut short so that a trace with a long silence, or a damaged timestamp far in the
// future, does not turn into millions of empty ticks; `cutMs` says how much time was cut.

import type { TickBatch, WorkloadSource } from '../sim/source.js';
import { at, TraceError } from './errors.js';
import { FlowAssembler, type TraceStats, type FlowOptions } from './flows.js';
import { ByteInput } from './input.js';
import { STOPPED, type CaptureParser } from './parser.js';
import { isPcapMagic, PcapParser, PCAP_HEADER } from './pcap.js';
import { PcapngParser, SHB } from './pcapng.js';
import { openZeekWorkload } from './zeek.js';

export type TraceFormat = 'pcap' | 'pcapng' | 'zeek';

export interface TraceOptions extends FlowOptions {
  /** Simulated ms per tick (default 100). */
  tickMs?: number;
}

/** A WorkloadSource over a trace file, with what the reader learned on the way. */
export interface TraceWorkload extends WorkloadSource {
  readonly format: TraceFormat;
  readonly stats: TraceStats;
  /** Connections open now. */
  readonly alive: number;
  /** Trace time (ms since the epoch) at the end of the last tick read. */
  readonly timeMs: number;
  /** Silent time cut out of the replay (ms). */
  readonly cutMs: number;
  /** Things a person should know that did not stop the reading (a truncated tail, a skipped section). */
  readonly warnings: readonly string[];
  /** Bytes of the file read so far and its size (compressed, for gzip): for progress lines. */
  progress(): { read: number; size: number };
  close(): void;
}

const OPTION_DEFAULTS: Required<TraceOptions> = { tickMs: 100, idleTimeoutMs: 300_000, lingerMs: 5_000 };

/** Every bad option at once, as one TraceError: a misspelt option is refused, never ignored. */
function checkOptions(options: TraceOptions): Required<TraceOptions> {
  if (options === null || typeof options !== 'object')
    throw new TraceError('BadOption', `openTraceWorkload: options must be an object ({ tickMs, idleTimeoutMs, lingerMs }), got ${String(options)}`, -1);
  const problems: string[] = [];
  const o = { ...OPTION_DEFAULTS };
  for (const [k, v] of Object.entries(options)) {
    if (!(k in OPTION_DEFAULTS)) problems.push(`${k} is not an option (the options are ${Object.keys(OPTION_DEFAULTS).join(', ')})`);
    else if (v === undefined) continue;
    else if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 365 * 86_400_000)
      problems.push(`${k} must be a number of milliseconds above 0 and at most a year, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    else o[k as keyof TraceOptions] = v;
  }
  if (problems.length) throw new TraceError('BadOption', `openTraceWorkload: ${problems.join('; ')}`, -1);
  return o;
}

/** Why fewer than 4 bytes came out of `input`, in the words that fit a plain or a gzip file. */
function tooShort(input: ByteInput): string {
  if (!input.gzip) return input.end === 0 ? 'the file is empty' : `the file is only ${input.end} bytes long`;
  const held = input.end === 0 ? 'no bytes' : `only ${input.end} byte${input.end === 1 ? '' : 's'}`;
  return input.truncatedGzip ? `the gzip stream is cut off after ${held} (a truncated .gz?)` : `the gzip stream holds ${held}`;
}

/**
 * Opens `file` as a workload. Throws TraceError (with a byte offset) when the file is not a trace
 * this reader knows; errors found later, deep in the file, are thrown by `next`.
 */
export async function openTraceWorkload(file: string, options: TraceOptions = {}): Promise<TraceWorkload> {
  const o = checkOptions(options);
  const input = new ByteInput(file);
  try {
    if (!(await input.need(4))) {
      throw new TraceError(input.end === 0 ? 'BadMagic' : 'BadLength', `${file}: ${tooShort(input)}: not a pcap, pcapng or Zeek conn.log`, input.end);
    }
    const m = input.view.getUint32(0, false);
    if (isPcapMagic(m)) {
      if (!(await input.need(PCAP_HEADER))) {
        throw new TraceError('BadLength', `${file}: the file ends ${at(input.end, input.gzip)}, inside the 24-byte pcap header`, input.end);
      }
      return new CaptureWorkload(input, new PcapParser(input), o);
    }
    if (m === SHB) return new CaptureWorkload(input, new PcapngParser(input), o);
    const head = new TextDecoder().decode(input.bytes.subarray(0, Math.min(input.end, 64)));
    if (head.startsWith('#separator') || head.startsWith('#fields') || /^\s*\{/.test(head)) {
      input.close();
      return await openZeekWorkload(file, o);
    }
    const hex = [...input.bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new TraceError(
      'BadMagic',
      `${file}: starts with bytes ${hex}${input.gzip ? ' (after gunzip)' : ''}, which is not a pcap, pcapng or Zeek conn.log (a TSV with a #fields header, or JSON lines)`,
      0,
    );
  } catch (error) {
    input.close();
    throw error;
  }
}

class CaptureWorkload implements TraceWorkload {
  readonly tickMs: number;
  readonly name: string;
  readonly format: 'pcap' | 'pcapng';
  readonly warnings: string[];
  cutMs = 0;
  private readonly flows: FlowAssembler;
  /** Trace time at which tick 0 starts (plus the time cut so far); NaN before the first packet. */
  private base = NaN;
  private lastTick = -1;
  private done = false;
  private end = NaN;

  constructor(
    private readonly input: ByteInput,
    private readonly parser: CaptureParser,
    o: Required<TraceOptions>,
  ) {
    this.tickMs = o.tickMs;
    this.name = input.path;
    this.format = parser.format;
    this.warnings = parser.warnings;
    this.flows = new FlowAssembler(o);
  }

  get stats(): TraceStats {
    return this.flows.stats;
  }
  get alive(): number {
    return this.flows.alive;
  }
  get timeMs(): number {
    return this.end;
  }
  get ticks(): number {
    const t = this.lastTick + 1;
    if (this.done) return t;
    const { read, size } = this.progress();
    return Math.max(t + 1, Math.ceil((t * size) / Math.max(1, read)));
  }

  progress(): { read: number; size: number } {
    return { read: this.input.fileBytesRead, size: this.input.fileSize };
  }

  /** Parses until the parser stops at `stopAt` (true) or the file ends (false). */
  private async read(stopAt: number): Promise<boolean> {
    const { input, parser, flows } = this;
    parser.stopAt = stopAt;
    for (;;) {
      if (parser.parse(input, flows) === STOPPED) return true;
      if (await input.more()) continue;
      const left = input.end - input.start;
      if (left > 0) {
        this.warnings.push(
          `the record ${at(input.offset(input.start), input.gzip)} runs past the end of the file (only ${left.toLocaleString('en-US')} bytes of it are there): a truncated capture, or a damaged length field (pcapfix can repair those). Read the ${flows.stats.packets.toLocaleString('en-US')} packets before it.`,
        );
        input.start = input.end;
      }
      if (input.truncatedGzip) this.warnings.push('the gzip stream ends early (a truncated .gz file): read what it held');
      return false;
    }
  }

  async next(tick: number, batch: TickBatch): Promise<boolean> {
    if (tick !== this.lastTick + 1) throw new RangeError(`ticks come in order: expected tick ${this.lastTick + 1}, got ${tick}`);
    this.lastTick = tick;
    batch.opened.count = batch.traffic.count = batch.closed.count = 0;
    const flows = this.flows;
    flows.nextTick(batch);
    if (this.done) return false;
    if (Number.isNaN(this.base)) {
      // Tick 0 starts at the first timestamp.
      if (!(await this.read(-Infinity))) return this.finish();
      this.base = this.parser.pendingMs;
    }
    const tickEnd = this.base + (tick + 1) * this.tickMs;
    this.end = tickEnd;
    flows.tickEnd = tickEnd;
    if (!(await this.read(tickEnd))) return this.finish();
    flows.endTick(tickEnd);
    const pending = this.parser.pendingMs;
    if (flows.inUse === 0 && pending >= tickEnd + this.tickMs) {
      // Nothing alive and nothing until `pending`: start the next tick just before it.
      const skip = Math.floor((pending - tickEnd) / this.tickMs) * this.tickMs;
      this.base += skip;
      this.cutMs += skip;
    }
    return true;
  }

  private finish(): boolean {
    this.flows.closeAll();
    this.done = true;
    this.input.close();
    return false;
  }

  close(): void {
    this.input.close();
  }
}
