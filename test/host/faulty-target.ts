// A target that misbehaves on purpose, around a SimulatedTarget that does the real work: for the
// fault tests and the faulty-target fuzz. Each call asks `choose(call)` what mischief to do.
import {
  SimulatedTarget,
  type SimulatedTargetOptions,
  type OffloadTarget,
  type TargetEvents,
  type InitiateBlock,
  type TerminateBlock,
  type UpdateBlock,
  type BlockStatus,
  type TerminateResult,
  type QueryResult,
} from '../../src/index.js';

export const MISCHIEF = [
  'none', // answer as the inner target does
  'throw', // throw synchronously; the inner target never sees the call
  'reject', // the inner target does the work, then the promise rejects (the answer is lost)
  'hang', // the inner target does the work, and the answer is held back (released by release(), or never)
  'drop', // the first result is missing
  'duplicate', // the first result comes twice (the second one says the opposite)
  'invent', // an extra result for a handle that was not in the call
  'malformed', // the answer is not a list
  'fail', // every block reported failed
  'strip', // results lose their delegated state and data
  'reverse', // results in reverse order (harmless: results are matched by handle)
  'reenter', // before answering, calls back into the host from inside the call (an upload-all, a link down)
] as const;
export type Mischief = (typeof MISCHIEF)[number];
export type Call = 'initiate' | 'terminate' | 'update' | 'query' | 'invalidate';

export class FaultyTarget implements OffloadTarget {
  readonly inner: SimulatedTarget;
  /** The capacity the host is told (the inner target's is unlimited, so answers lost on purpose do not fill it). */
  readonly capacity: number;
  choose: (call: Call) => Mischief = () => 'none';
  /** Answers held back by 'hang', in order. */
  private readonly held: (() => void)[] = [];
  private events: TargetEvents | undefined;
  readonly counts: Record<Mischief, number> = Object.fromEntries(MISCHIEF.map((m) => [m, 0])) as Record<Mischief, number>;

  constructor(options: SimulatedTargetOptions & { capacity: number }) {
    this.capacity = options.capacity;
    this.inner = new SimulatedTarget({ ...options, capacity: 2 ** 31 });
  }

  get clock() {
    return this.inner.clock;
  }

  attach(events: TargetEvents): void {
    this.events = events;
    this.inner.attach(events);
  }

  /** The host's indication handlers, to call with bad arguments. */
  get host(): TargetEvents {
    return this.events!;
  }

  initiate(blocks: InitiateBlock[]): Promise<BlockStatus[]> {
    return this.wrap(
      'initiate',
      blocks.map((b) => b.handle),
      () => this.inner.initiate(blocks),
    );
  }
  terminate(blocks: TerminateBlock[]): Promise<TerminateResult[]> {
    return this.wrap(
      'terminate',
      blocks.map((b) => b.handle),
      () => this.inner.terminate(blocks),
    );
  }
  update(blocks: UpdateBlock[]): Promise<BlockStatus[]> {
    return this.wrap(
      'update',
      blocks.map((b) => b.handle),
      () => this.inner.update(blocks),
    );
  }
  query(handles: number[]): Promise<QueryResult[]> {
    return this.wrap('query', handles, () => this.inner.query(handles));
  }
  invalidate(blocks: TerminateBlock[]): Promise<BlockStatus[]> {
    return this.wrap(
      'invalidate',
      blocks.map((b) => b.handle),
      () => this.inner.invalidate(blocks),
    );
  }
  traffic(handle: number, sent: number, received: number): void {
    this.inner.traffic(handle, sent, received);
  }

  /** Completes everything the inner target has in flight, and lets held answers go (late). */
  flush(): void {
    this.inner.flush();
    this.release();
  }

  /** Lets the answers held back by 'hang' go, late. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  private wrap<R extends BlockStatus>(call: Call, handles: number[], run: () => Promise<R[]>): Promise<R[]> {
    const m = this.choose(call);
    this.counts[m]++;
    if (m === 'throw') throw new Error(`injected: ${call} throws`);
    if (m === 'reenter') {
      if (handles.length % 2) this.events!.uploadAll();
      else this.events!.link(1 + (handles.length % 3), false);
    }
    const answer = run();
    switch (m) {
      case 'reject':
        return answer.then(() => Promise.reject(new Error(`injected: ${call} rejects`)));
      case 'hang':
        return new Promise((resolve, reject) => this.held.push(() => void answer.then(resolve, reject)));
      case 'drop':
        return answer.then((r) => r.slice(1));
      case 'duplicate':
        return answer.then((r) => (r.length ? [...r, { ...r[0]!, ok: !r[0]!.ok }] : r));
      case 'invent':
        return answer.then((r) => [...r, { handle: Math.max(0, ...handles) + 123_456, ok: true } as R]);
      case 'malformed':
        return answer.then(() => ({ nonsense: true }) as unknown as R[]);
      case 'fail':
        return answer.then((r) => r.map((x) => ({ ...x, ok: false, error: 'injected failure' })));
      case 'strip':
        return answer.then((r) => r.map((x) => ({ handle: x.handle, ok: x.ok }) as R));
      case 'reverse':
        return answer.then((r) => [...r].reverse());
      default:
        return answer;
    }
  }
}
