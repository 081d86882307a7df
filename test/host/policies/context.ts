// A PolicyContext built from a few rows, to test a policy's decisions without a host.
import { ConnectionStore } from '../../../src/host/connections.js';
import { ConnectionStatus, type PolicyContext } from '../../../src/host/policy.js';

export interface Row {
  status?: ConnectionStatus;
  priority?: number;
  bytes?: number;
  tickBytes?: number;
  rate?: number;
  lastActiveAt?: number;
  arrived?: boolean;
}

export function context(rows: Row[], extra: Partial<PolicyContext> = {}): PolicyContext {
  const c = new ConnectionStore(4);
  const arrived: number[] = [];
  const active: number[] = [];
  rows.forEach((r, i) => {
    const slot = c.allocate(0);
    if (slot !== i) throw new Error('slots are allocated in order');
    c.status[slot] = r.status ?? ConnectionStatus.Software;
    c.priority[slot] = r.priority ?? 0;
    c.bytes[slot] = r.bytes ?? 0;
    c.tickBytes[slot] = r.tickBytes ?? 0;
    c.rate[slot] = r.rate ?? 0;
    c.lastActiveAt[slot] = r.lastActiveAt ?? 0;
    if (c.status[slot] !== ConnectionStatus.Software) c.handle[slot] = 1000 + slot;
    if (r.arrived) arrived.push(slot);
    if ((r.tickBytes ?? 0) > 0) active.push(slot);
  });
  const occupied = rows.filter((r) => r.status !== undefined && r.status !== ConnectionStatus.Software).length;
  return {
    now: 1000,
    elapsedMs: 100,
    capacity: 10,
    occupied,
    canOffload: true,
    columns: c,
    arrived: Uint32Array.from(arrived),
    live: c.live.subarray(0, c.liveCount),
    active: Uint32Array.from(active),
    ...extra,
  };
}
