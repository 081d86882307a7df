// rebalance: rank connections by recent rate (the host's moving average). While there is room,
// offload the fastest connections in software. At capacity, every intervalMs (default 3 s) swap
// the slowest offloaded connection for the fastest waiting one while the waiting one is faster,
// at most maxSwaps a round (default 1024). After Open vSwitch's offload-rebalance
// (ofproto/ofproto-dpif-upcall.c: every 3 s, at most 1024 swaps). A swapped-out connection is
// terminated (Reason.HigherPriority); the room it frees goes to the fastest waiting one at a
// following tick.

import { ConnectionStatus, type OffloadPolicy, type PolicyContext, type PolicyFactory } from '../policy.js';
import { Reason } from '../../table/enums.js';
import { best } from './rank.js';
import { readOptions, type PolicySchema, type Resolved } from './options.js';

const schema = {
  intervalMs: { type: 'integer', min: 1, default: 3000, description: 'ms between rebalancing rounds at capacity' },
  maxSwaps: { type: 'integer', min: 0, default: 1024, description: 'most swaps in one round' },
  minRate: { type: 'number', min: 0, default: 0, description: 'bytes/s a connection in software must exceed to be offloaded' },
} satisfies PolicySchema;

export type RebalanceOptions = Partial<Resolved<typeof schema>>;

export const rebalance: PolicyFactory<RebalanceOptions> & { readonly schema: PolicySchema } = {
  name: 'rebalance',
  description:
    'offload the fastest connections; at capacity, every 3 s swap the slowest offloaded for the fastest waiting one, at most 1024 swaps a round (after Open vSwitch offload-rebalance)',
  schema,
  create(options?: RebalanceOptions): OffloadPolicy {
    const o = readOptions('rebalance', schema, options);
    let lastRound = -Infinity;
    let waiting = new Uint32Array(1024);
    let offloaded = new Uint32Array(1024);
    return {
      name: 'rebalance',
      tick(ctx: PolicyContext) {
        if (!ctx.canOffload) return undefined;
        const c = ctx.columns;
        const rate = c.rate;
        if (waiting.length < ctx.live.length) {
          waiting = new Uint32Array(ctx.live.length * 2);
          offloaded = new Uint32Array(ctx.live.length * 2);
        }
        let w = 0;
        let f = 0;
        for (let i = 0; i < ctx.live.length; i++) {
          const slot = ctx.live[i]!;
          const s = c.status[slot];
          if (s === ConnectionStatus.Software) {
            if (rate[slot]! > o.minRate) waiting[w++] = slot;
          } else if (s === ConnectionStatus.Offloaded) offloaded[f++] = slot;
        }
        if (w === 0) return undefined;
        const faster = (a: number, b: number) => rate[a]! > rate[b]!;
        const room = ctx.capacity - ctx.occupied;
        if (room > 0) return { offload: best(waiting, w, room, faster) };
        if (ctx.now - lastRound < o.intervalMs) return undefined;
        lastRound = ctx.now;
        const k = Math.min(o.maxSwaps, w, f);
        const fastest = best(waiting, w, k, faster);
        const slowest = best(offloaded, f, k, (a, b) => rate[a]! < rate[b]!);
        let swaps = 0;
        while (swaps < k && rate[fastest[swaps]!]! > rate[slowest[swaps]!]!) swaps++;
        if (swaps === 0) return undefined;
        return { terminate: slowest.subarray(0, swaps), terminateReason: Reason.HigherPriority };
      },
    };
  },
};
