// Zeek conn.log as a workload: one TCP connection per record, its bytes spread evenly over its
// duration. Both of Zeek's encodings are read (plain or gzip-compressed):
//
//   TSV:  #separator \x09            JSON lines:
//         #unset_field -             {"ts":1591367999.3,"id.orig_h":"10.0.0.1","id.orig_p":51234,
//         #fields ts uid id.orig_h      "id.resp_h":"10.0.0.2","id.resp_p":443,"proto":"tcp",
//                 id.orig_p id.resp_h   "duration":1.5,"orig_bytes":300,"resp_bytes":9000}
//                 id.resp_p proto ... duration orig_bytes resp_bytes ...
//         1591367999.305988 C...  10.0.0.1  51234  10.0.0.2  443  tcp  ...
//
// (`ts` may also be an ISO 8601 string in JSON.) Zeek writes a record when its connection ends, so
// records are not in start order: the TCP records are kept in columns (about 80 bytes each, not
// JS objects) and sorted by start before the replay. The local side is the originator.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { TickBatch } from '../sim/source.js';
import { writeAddress } from '../table/address.js';
import { addClosed, addOpened, addTraffic } from './batch.js';
import { grown } from '../util/grown.js';
import { TraceError } from './errors.js';
import { TraceStats } from './flows.js';
import { IdPool } from './ids.js';
import type { TraceOptions, TraceWorkload } from './workload.js';

class Records {
  count = 0;
  start = new Float64Array(1024);
  duration = new Float64Array(1024);
  orig = new Float64Array(1024);
  resp = new Float64Array(1024);
  origPort = new Uint16Array(1024);
  respPort = new Uint16Array(1024);
  /** 32 bytes per record: originator's address, then the responder's. */
  addresses = new Uint8Array(1024 * 32);

  add(): number {
    if (this.count === this.start.length) {
      const n = this.count * 2;
      this.start = grown(this.start, n);
      this.duration = grown(this.duration, n);
      this.orig = grown(this.orig, n);
      this.resp = grown(this.resp, n);
      this.origPort = grown(this.origPort, n);
      this.respPort = grown(this.respPort, n);
      this.addresses = grown(this.addresses, n * 32);
    }
    return this.count++;
  }
}

/** The latest ts a record may have, in seconds (2^32: Unix time until 2106). */
const MAX_TS_SECONDS = 2 ** 32;
/** The longest duration a record may have, in seconds (7 days). */
const MAX_DURATION_SECONDS = 7 * 24 * 3600;

const FIELDS = ['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration', 'orig_bytes', 'resp_bytes'] as const;

/** Reads the whole log into columns (TCP only), or throws TraceError naming the line. */
async function readLog(file: string, stats: TraceStats): Promise<Records> {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(2);
  readSync(fd, head, 0, 2, 0);
  closeSync(fd);
  const raw = createReadStream(file);
  const stream: Readable = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (e) => stream.destroy(e));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const r = new Records();
  let separator = '\t';
  let unset = '-';
  let columns: number[] | undefined;
  let lineNo = 0;
  let offset = 0;
  let lineOffset = 0;
  const bad = (why: string): never => {
    throw new TraceError('BadRecord', `${file}: line ${lineNo} (byte ${lineOffset.toLocaleString('en-US')}) ${why}`, lineOffset);
  };
  const number = (v: unknown, field: string, optional: boolean): number => {
    if (v === undefined || v === null || v === unset || v === '') {
      if (optional) return 0;
      bad(`has no ${field}`);
    }
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n < 0) bad(`has ${field} ${JSON.stringify(v)}, not a number >= 0`);
    return n;
  };
  try {
    for await (const line of lines) {
      lineNo++;
      lineOffset = offset;
      offset += Buffer.byteLength(line) + 1;
      if (line === '') continue;
      let values: unknown[];
      if (line.startsWith('#')) {
        if (line.startsWith('#separator')) {
          const s = line.slice('#separator'.length).trim();
          separator = s.startsWith('\\x') ? String.fromCharCode(parseInt(s.slice(2), 16)) : s;
        } else if (line.startsWith('#unset_field')) {
          unset = line.split(separator)[1] ?? '-';
        } else if (line.startsWith('#fields')) {
          const names = line.split(separator).slice(1);
          columns = FIELDS.map((f) => names.indexOf(f));
          const missing = FIELDS.filter((_, i) => columns![i]! < 0 && !['duration', 'orig_bytes', 'resp_bytes'].includes(FIELDS[i]!));
          if (missing.length) bad(`is a #fields header without ${missing.join(', ')}: not a conn.log`);
        }
        continue;
      }
      if (line.startsWith('{')) {
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          bad('is not valid JSON');
        }
        values = FIELDS.map((f) => o[f]);
        if (typeof values[0] === 'string') {
          const t = Date.parse(values[0]);
          values[0] = Number.isNaN(t) ? values[0] : t / 1000;
        }
      } else {
        if (!columns) {
          bad('is a record before any #fields header: not a Zeek TSV log');
        }
        const parts = line.split(separator);
        const cols = columns as number[];
        values = cols.map((c) => (c < 0 ? undefined : parts[c]));
      }
      stats.packets++;
      if (values[5] !== 'tcp') {
        const proto = values[5] === 'udp' || values[5] === 'icmp' ? values[5] : 'other';
        stats.skip(`Zeek records that are not TCP (${proto})`);
        continue;
      }
      const i = r.add();
      // Bounds keep a replay finite and its clock exact: a ts of 1e300 would stop the clock
      // (adding a tick no longer changes it) and a duration of years would be ticked through.
      const tsSeconds = number(values[0], 'ts', false);
      if (tsSeconds > MAX_TS_SECONDS) bad(`has ts ${String(values[0])}, past 2^32 seconds (the year 2106): not a Unix time`);
      const durationSeconds = number(values[6], 'duration', true);
      if (durationSeconds > MAX_DURATION_SECONDS)
        bad(
          `has duration ${String(values[6])} s, over ${MAX_DURATION_SECONDS.toLocaleString('en-US')} s (7 days), the longest record a replay takes: drop or split it`,
        );
      r.start[i] = tsSeconds * 1000;
      r.duration[i] = durationSeconds * 1000;
      r.orig[i] = Math.round(number(values[7], 'orig_bytes', true));
      r.resp[i] = Math.round(number(values[8], 'resp_bytes', true));
      const port = (v: unknown, f: string) => {
        const p = number(v, f, false);
        if (!Number.isInteger(p) || p > 65535) bad(`has ${f} ${String(v)}, not a port 0..65535`);
        return p;
      };
      r.origPort[i] = port(values[2], 'id.orig_p');
      r.respPort[i] = port(values[4], 'id.resp_p');
      try {
        writeAddress(values[1], r.addresses, i * 32, 'id.orig_h');
        writeAddress(values[3], r.addresses, i * 32 + 16, 'id.resp_h');
      } catch (error) {
        bad((error as Error).message);
      }
      stats.tcpPackets++;
    }
  } catch (error) {
    if (error instanceof TraceError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new TraceError(e.code?.startsWith('Z_') ? 'Gzip' : 'Io', `${file}: cannot read past line ${lineNo}: ${e.message}`, offset);
  } finally {
    lines.close();
    raw.destroy();
  }
  if (!columns && r.count === 0 && stats.packets === 0) {
    throw new TraceError('BadMagic', `${file}: no #fields header and no JSON records: not a Zeek conn.log`, 0);
  }
  return r;
}

export async function openZeekWorkload(file: string, o: Required<TraceOptions>): Promise<TraceWorkload> {
  const stats = new TraceStats();
  const records = await readLog(file, stats);
  return new ZeekWorkload(file, records, stats, o.tickMs, statSync(file).size);
}

class ZeekWorkload implements TraceWorkload {
  readonly format = 'zeek';
  readonly warnings: string[] = [];
  cutMs = 0;
  alive = 0;
  timeMs = NaN;
  private readonly order: Uint32Array;
  private readonly ids = new IdPool();
  private readonly id: Uint32Array;
  private readonly sentOrig: Float64Array;
  private readonly sentResp: Float64Array;
  private live = new Uint32Array(1024);
  private nextRecord = 0;
  private base: number;
  private lastTick = -1;
  private done = false;

  constructor(
    readonly name: string,
    private readonly r: Records,
    readonly stats: TraceStats,
    readonly tickMs: number,
    private readonly size: number,
  ) {
    const n = r.count;
    this.order = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    const start = r.start;
    this.order.sort((a, b) => start[a]! - start[b]! || a - b);
    this.id = new Uint32Array(n);
    this.sentOrig = new Float64Array(n);
    this.sentResp = new Float64Array(n);
    this.base = n ? start[this.order[0]!]! : 0;
    for (let i = 0; i < n; i++) {
      stats.payloadBytes += r.orig[i]! + r.resp[i]!;
      if (i === 0 || start[i]! < stats.firstMs) stats.firstMs = start[i]!;
      const e = start[i]! + r.duration[i]!;
      if (i === 0 || e > stats.lastMs) stats.lastMs = e;
    }
  }

  get ticks(): number {
    if (this.r.count === 0) return 0;
    return Math.max(this.lastTick + 1, Math.ceil((this.stats.lastMs - this.base) / this.tickMs) + 1);
  }

  progress(): { read: number; size: number } {
    return { read: this.size, size: this.size };
  }

  next(tick: number, batch: TickBatch): boolean {
    if (tick !== this.lastTick + 1) throw new RangeError(`ticks come in order: expected tick ${this.lastTick + 1}, got ${tick}`);
    this.lastTick = tick;
    batch.opened.count = batch.traffic.count = batch.closed.count = 0;
    this.ids.endTick();
    if (this.done) return false;
    const r = this.r;
    const end = this.base + (tick + 1) * this.tickMs;
    this.timeMs = end;
    while (this.nextRecord < r.count && r.start[this.order[this.nextRecord]!]! < end) {
      const i = this.order[this.nextRecord++]!;
      const id = this.ids.acquire();
      this.id[i] = id;
      const o = addOpened(batch);
      batch.opened.id[o] = id;
      batch.opened.ifIndex[o] = 1;
      batch.opened.priority[o] = 0;
      batch.opened.localPort[o] = r.origPort[i]!;
      batch.opened.remotePort[o] = r.respPort[i]!;
      batch.opened.source.set(r.addresses.subarray(i * 32, i * 32 + 16), o * 16);
      batch.opened.destination.set(r.addresses.subarray(i * 32 + 16, i * 32 + 32), o * 16);
      batch.opened.nextHop.set(r.addresses.subarray(i * 32 + 16, i * 32 + 32), o * 16);
      if (this.alive === this.live.length) {
        const g = new Uint32Array(this.live.length * 2);
        g.set(this.live);
        this.live = g;
      }
      this.live[this.alive++] = i;
      this.stats.connections++;
    }
    // Bytes so far follow a straight line from start to start + duration.
    let kept = 0;
    for (let k = 0; k < this.alive; k++) {
      const i = this.live[k]!;
      const d = r.duration[i]!;
      const stop = r.start[i]! + d;
      const f = stop <= end ? 1 : (end - r.start[i]!) / d;
      const o = Math.round(r.orig[i]! * f) - this.sentOrig[i]!;
      const s = Math.round(r.resp[i]! * f) - this.sentResp[i]!;
      if (o > 0 || s > 0) {
        addTraffic(batch, this.id[i]!, o, s);
        this.sentOrig[i] = this.sentOrig[i]! + o;
        this.sentResp[i] = this.sentResp[i]! + s;
      }
      if (f === 1) {
        addClosed(batch, this.id[i]!);
        this.ids.release(this.id[i]!);
        this.stats.initiatorBytes += r.orig[i]!;
        this.stats.responderBytes += r.resp[i]!;
        this.stats.sizes.add(r.orig[i]! + r.resp[i]!);
      } else {
        this.live[kept++] = i;
      }
    }
    this.alive = kept;
    if (this.nextRecord === r.count && kept === 0) {
      this.done = true;
      return false;
    }
    if (kept === 0) {
      const pending = r.start[this.order[this.nextRecord]!]!;
      if (pending >= end + this.tickMs) {
        const skip = Math.floor((pending - end) / this.tickMs) * this.tickMs;
        this.base += skip;
        this.cutMs += skip;
      }
    }
    return true;
  }

  close(): void {}
}
