// A complete offload policy in its own module, for `chimney-host compare --policies ./examples/my-policy.mjs`
// or `loadPolicy('./examples/my-policy.mjs', { minBytes: 65536 })` or, from code,
// `HostStack.create({ policy: { offload: myPolicy.create({ minBytes: 65536 }) } })`.
//
// "busiest": each tick, offload the connections in software that moved at least `minBytes` in the
// last tick, busiest first. At capacity, give up offloaded connections that have been quiet for
// `idleMs` to make room (they go on in software and come back when they get busy again).
//
// The default export is a PolicyFactory: a name, a description and create(options), which checks
// its options (naming every bad field) and returns an OffloadPolicy: { name, tick(context) }.
// tick() reads the host's columns (typed arrays indexed by slot) and returns slots; it must not
// keep slots across ticks without checking columns.id, and must not change the columns.
import { ConnectionStatus, OffloadError, ErrorCode } from 'chimney-host';

export default {
  name: 'busiest',
  description: 'offload connections that moved at least minBytes in the last tick, busiest first; at capacity drop ones quiet for idleMs',

  create(options = {}) {
    const { minBytes = 4096, idleMs = 2000, ...unknown } = options;
    const problems = Object.keys(unknown).map((k) => `${k}: not an option (known: minBytes, idleMs)`);
    if (!Number.isInteger(minBytes) || minBytes < 0) problems.push(`minBytes: must be an integer >= 0, got ${minBytes}`);
    if (!Number.isInteger(idleMs) || idleMs < 0) problems.push(`idleMs: must be an integer >= 0, got ${idleMs}`);
    if (problems.length) throw new OffloadError(ErrorCode.InvalidArgument, `policy 'busiest': ${problems.join('; ')}`);

    return {
      name: 'busiest',
      tick({ columns: c, active, live, capacity, occupied, canOffload, now }) {
        if (!canOffload) return undefined;
        // Candidates: connections in software that moved enough bytes in the last tick.
        const busy = [];
        for (const slot of active) {
          if (c.status[slot] === ConnectionStatus.Software && c.tickBytes[slot] >= minBytes) busy.push(slot);
        }
        if (busy.length === 0) return undefined;
        busy.sort((a, b) => c.tickBytes[b] - c.tickBytes[a]);
        // Room: what is free now, plus what the quiet offloaded ones will free once uploaded.
        const quiet = [];
        if (busy.length > capacity - occupied) {
          for (const slot of live) {
            if (c.status[slot] === ConnectionStatus.Offloaded && now - c.lastActiveAt[slot] >= idleMs) quiet.push(slot);
            if (quiet.length >= busy.length) break;
          }
        }
        return { terminate: quiet, offload: busy };
      },
    };
  },
};
