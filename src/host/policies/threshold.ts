// threshold: offload a connection once it has moved N bytes both ways (default 131,072). The
// default follows Windows' automatic TCP chimney mode, which is *reported* to offload a
// connection after about 130 KB exchanged (reported, not verified). At capacity it preempts like
// eager (strictly lower priority, least recently active first), unless preempt is false.

import { ConnectionStatus, type OffloadPolicy, type PolicyContext, type PolicyFactory } from '../policy.js';
import { Admission } from './admit.js';
import { readOptions, type PolicySchema, type Resolved } from './options.js';

const schema = {
  bytes: { type: 'integer', min: 0, default: 131_072, description: 'bytes moved (both ways, since open) before a connection is offloaded' },
  preempt: { type: 'boolean', default: true, description: 'at capacity, preempt a connection of strictly lower priority (least recently active first)' },
} satisfies PolicySchema;

export type ThresholdOptions = Partial<Resolved<typeof schema>>;

export const threshold: PolicyFactory<ThresholdOptions> & { readonly schema: PolicySchema } = {
  name: 'threshold',
  description: 'offload a connection once it has moved N bytes (default 131072, after the figure reported for Windows automatic chimney mode)',
  schema,
  create(options?: ThresholdOptions): OffloadPolicy {
    const o = readOptions('threshold', schema, options);
    const admission = new Admission();
    let scratch = new Uint32Array(1024);
    return {
      name: 'threshold',
      tick(ctx: PolicyContext) {
        const c = ctx.columns;
        // A connection crosses the threshold by moving bytes, so the active ones are the only new
        // candidates (and arrivals, when the threshold is 0).
        const n = ctx.active.length + (o.bytes === 0 ? ctx.arrived.length : 0);
        if (scratch.length < n) scratch = new Uint32Array(n * 2);
        let k = 0;
        for (const list of o.bytes === 0 ? [ctx.arrived, ctx.active] : [ctx.active]) {
          for (let i = 0; i < list.length; i++) {
            const slot = list[i]!;
            if (c.status[slot] === ConnectionStatus.Software && c.bytes[slot]! >= o.bytes) scratch[k++] = slot;
          }
        }
        return admission.decide(ctx, scratch, k, o.preempt);
      },
    };
  },
};
