// The churn fuzz (issue 8): a small table through many offload/terminate cycles. Every handle ever
// issued is kept: no value may be handed out twice, and every freed one is probed and must stay
// stale. Slot generations are pushed near the wrap now and then (a test-only setter), so slots
// retire throughout the run instead of after 2^25 reuses. check() runs throughout.
// Used by churn.test.ts (a short run in `npm test`) and fuzz.ts (`npm run fuzz`, the long run).
import { OffloadTable, OffloadError, ErrorCode, Kind, Reason, State } from '../../src/index.js';
import { seededRandom } from '../../src/util/random.js';

const GEN_MAX = 2 ** 25 - 1;
const generation = (h: number) => Math.floor(h / 2 ** 26) % 2 ** 25;

export interface ChurnResult {
  cycles: number;
  issued: number;
  retired: number;
  probes: number;
}

/** Runs `cycles` cycles from `seed`; throws a description of the first broken promise. */
export function churn(cycles: number, seed: number, onProgress?: (done: number) => void): ChurnResult {
  const random = seededRandom(seed);
  const pick = <T>(a: ArrayLike<T>) => a[Math.floor(random() * a.length)]!;
  const t = OffloadTable.createSync();
  const issued = new Set<number>();
  const freed: number[] = [];
  let probes = 0;
  const fail = (cycle: number, what: string) => {
    throw new Error(`churn seed ${seed}, cycle ${cycle}: ${what}`);
  };
  /** Records a new handle: never seen before. */
  const issue = (cycle: number, h: number) => {
    if (issued.has(h)) fail(cycle, `handle ${h} was handed out twice`);
    issued.add(h);
    return h;
  };
  /** A freed handle must be stale, whatever the call. */
  const probe = (cycle: number, h: number) => {
    probes++;
    try {
      t.state(h);
    } catch (e) {
      if (e instanceof OffloadError && e.code === ErrorCode.StaleHandle) return;
      throw e;
    }
    fail(cycle, `freed handle ${h} names a live object (${Kind[t.kind(h)]})`);
  };
  const neighbors = [issue(0, t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' })), issue(0, t.offloadNeighbor({ ifIndex: 2, address: '10.0.0.2' }))];
  const paths: number[] = [];
  for (let p = 0; p < 4; p++) paths.push(issue(0, t.offloadPath({ source: '10.1.0.1', destination: `10.2.0.${p}` }, neighbors[p & 1]!)));
  t.completeOffload([...neighbors, ...paths]);
  let port = 0;
  for (let cycle = 1; cycle <= cycles; cycle++) {
    // Offload a few connections; now and then age one's slot to near the generation wrap.
    const made: number[] = [];
    const count = 1 + Math.floor(random() * 4);
    for (let i = 0; i < count; i++) {
      let c = issue(cycle, t.offloadConnection({ localPort: (port = (port + 1) % 65536), remotePort: 80, priority: i }, pick(paths)));
      if (random() < 0.02) {
        const g = GEN_MAX - Math.floor(random() * 3);
        if (g > generation(c)) {
          freed.push(c); // the setter moved the object to generation g: its old handle is stale
          c = issue(cycle, t.debugSetGeneration(c, g));
        }
      }
      made.push(c);
    }
    // Some initiates fail (freed at once), the rest complete and are terminated.
    const failed = made.filter(() => random() < 0.2);
    const ok = made.filter((c) => !failed.includes(c));
    if (failed.length) t.completeOffload(failed, false);
    if (ok.length) t.completeOffload(ok);
    freed.push(...failed);
    if (ok.length) {
      const batch = t.terminate(ok, pick([Reason.Application, Reason.LowActivity, Reason.HigherPriority]), { prune: false });
      if (batch.length !== ok.length) fail(cycle, `terminate returned ${batch.length} objects for ${ok.length}`);
      for (const h of batch.handles) if (t.state(h) !== State.Terminating) fail(cycle, `${h} is not Terminating`);
      t.completeTerminate(batch.handles, { prune: false });
      freed.push(...ok);
    }
    for (let i = 0; i < 4 && freed.length; i++) probe(cycle, pick(freed));
    // Now and then a path goes and comes back: path slots churn too.
    if (random() < 0.05) {
      const at = Math.floor(random() * paths.length);
      const p = paths[at]!;
      t.completeTerminate(t.terminate([p], Reason.Application, { prune: false }).handles, { prune: false });
      freed.push(p);
      paths[at] = issue(cycle, t.offloadPath({ source: '10.1.0.1', destination: `10.2.0.${at}` }, neighbors[at & 1]!));
      t.completeOffload([paths[at]!]);
    }
    if (cycle % 2000 === 0) {
      t.check();
      onProgress?.(cycle);
    }
  }
  t.check();
  for (const h of freed) probe(cycles, h);
  return { cycles, issued: issued.size, retired: t.retiredSlots(Kind.Connection) + t.retiredSlots(Kind.Path), probes };
}
