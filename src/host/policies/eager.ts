// eager: the host's classic behaviour. Offload every connection as soon as it arrives; one that
// stays in software (no room, a parent leaving, a failed initiate, terminated) is offered again
// whenever it moves bytes. At capacity, a connection preempts one of strictly lower priority,
// least recently active first, one victim per offload.

import type { OffloadPolicy, PolicyContext, PolicyFactory } from '../policy.js';
import { Admission } from './admit.js';
import { readOptions, type PolicySchema, type Resolved } from './options.js';

const schema = {
  preempt: { type: 'boolean', default: true, description: 'at capacity, preempt a connection of strictly lower priority (least recently active first)' },
} satisfies PolicySchema;

export type EagerOptions = Partial<Resolved<typeof schema>>;

export const eager: PolicyFactory<EagerOptions> & { readonly schema: PolicySchema } = {
  name: 'eager',
  description: 'offload every connection on arrival; at capacity preempt strictly lower priority, least recently active first',
  schema,
  create(options?: EagerOptions): OffloadPolicy {
    const o = readOptions('eager', schema, options);
    const admission = new Admission();
    return {
      name: 'eager',
      tick(ctx: PolicyContext) {
        return admission.decide(ctx, ctx.arrived, ctx.arrived.length, o.preempt, ctx.active, ctx.active.length);
      },
    };
  },
};
