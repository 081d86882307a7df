// Shared by the trace tests: the Debian test vectors (found with dpkg -L), tshark as an
// independent reader, and a whole-trace replay that returns per-connection byte totals.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { formatAddress } from '../../src/table/address.js';
import { createTickBatch } from '../../src/trace/batch.js';
import { openTraceWorkload, type TraceOptions, type TraceWorkload } from '../../src/trace/workload.js';

const listed = new Map<string, string[] | undefined>();

/** Files the Debian package installed, or undefined when it is not installed. */
export function packageFiles(pkg: string): string[] | undefined {
  if (!listed.has(pkg)) {
    const r = spawnSync('dpkg', ['-L', pkg], { encoding: 'utf8' });
    listed.set(pkg, r.status === 0 ? r.stdout.split('\n').filter((f) => f && existsSync(f)) : undefined);
  }
  return listed.get(pkg);
}

/** The installed file of `pkg` whose path ends with `suffix`, or undefined (with the reason printed once). */
export function vector(pkg: string, suffix: string): string | undefined {
  const files = packageFiles(pkg);
  const f = files?.find((p) => p.endsWith(suffix));
  if (!f) skipReason(`${pkg} ${files ? `has no file ending ${suffix}` : 'is not installed (apt-get install ' + pkg + '; .ci/run does)'}`);
  return f;
}

const told = new Set<string>();
export function skipReason(why: string): void {
  if (told.has(why)) return;
  told.add(why);
  console.log(`  SKIP: ${why}`);
}

export const hasTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** What tshark finds: TCP packets, TCP streams and the sum of tcp.len. */
export function tshark(file: string): { tcpPackets: number; connections: number; payloadBytes: number } {
  const r = spawnSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.len'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const lines = r.stdout.split('\n').filter(Boolean);
  const streams = new Set<string>();
  let payload = 0;
  for (const l of lines) {
    const [s, len] = l.split('\t');
    streams.add(s!);
    payload += Number(len);
  }
  return { tcpPackets: lines.length, connections: streams.size, payloadBytes: payload };
}

export interface Replayed {
  w: TraceWorkload;
  /** "src sport > dst dport" -> totals, per connection in the order opened (a reused 5-tuple appears twice). */
  connections: { key: string; ifIndex: number; sent: number; received: number; openedTick: number; closedTick: number }[];
  ticks: number;
}

/** Replays a whole trace, checking the TickBatch contract on the way, and returns per-connection totals. */
export async function replay(file: string, options: TraceOptions = {}): Promise<Replayed> {
  const w = await openTraceWorkload(file, options);
  const b = createTickBatch(4);
  const byId = new Map<number, Replayed['connections'][number]>();
  const out: Replayed['connections'] = [];
  let tick = 0;
  for (; ; tick++) {
    const more = await w.next(tick, b);
    for (let i = 0; i < b.opened.count; i++) {
      const id = b.opened.id[i]!;
      if (byId.has(id)) throw new Error(`tick ${tick}: id ${id} opened while still open`);
      const c = {
        key: `${formatAddress(b.opened.source, i * 16)} ${b.opened.localPort[i]} > ${formatAddress(b.opened.destination, i * 16)} ${b.opened.remotePort[i]}`,
        ifIndex: b.opened.ifIndex[i]!,
        sent: 0,
        received: 0,
        openedTick: tick,
        closedTick: -1,
      };
      if (formatAddress(b.opened.nextHop, i * 16) !== formatAddress(b.opened.destination, i * 16)) throw new Error('next hop is not the remote address');
      byId.set(id, c);
      out.push(c);
    }
    const seen = new Set<number>();
    for (let i = 0; i < b.traffic.count; i++) {
      const id = b.traffic.id[i]!;
      const c = byId.get(id);
      if (!c) throw new Error(`tick ${tick}: traffic for id ${id}, which is not open`);
      if (seen.has(id)) throw new Error(`tick ${tick}: id ${id} has two traffic entries`);
      seen.add(id);
      c.sent += b.traffic.sent[i]!;
      c.received += b.traffic.received[i]!;
    }
    for (let i = 0; i < b.closed.count; i++) {
      const id = b.closed.id[i]!;
      const c = byId.get(id);
      if (!c) throw new Error(`tick ${tick}: id ${id} closed but not open`);
      c.closedTick = tick;
      byId.delete(id);
    }
    if (!more) break;
  }
  if (byId.size) throw new Error(`${byId.size} connections never closed`);
  return { w, connections: out, ticks: tick + 1 };
}
