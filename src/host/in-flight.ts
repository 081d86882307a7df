// The host's calls in flight by object: which initiate or termination an object waits for, so that
// an offload can wait for a parent being offloaded or leaving, and terminate() for its objects.
// One promise per call (a block list), found from any of its handles through a HandleIndex: no
// promise, closure or boxed key per object, which matters when a call carries thousands of them.
//
//   byHandle  HandleIndex  handle -> call id (the latest call that named it)
//   calls     Map          call id -> the promise that settles once the call's answer is applied

import { HandleIndex } from '../target/handle-index.js';

export class InFlight {
  private readonly byHandle = new HandleIndex();
  private readonly calls = new Map<number, Promise<void>>();
  private ids = 0;

  /** Registers a call for `handles`; `done` settles once its answer is applied. Returns the call's id for finish(). */
  add(handles: ArrayLike<number>, done: Promise<void>): number {
    const id = ++this.ids;
    this.calls.set(id, done);
    for (let i = 0; i < handles.length; i++) this.byHandle.set(handles[i]!, id);
    return id;
  }

  /** The call `handle` waits for, if one is in flight. */
  get(handle: number): Promise<void> | undefined {
    if (!(handle > 0)) return undefined; // 0 marks an empty entry of the index
    const id = this.byHandle.get(handle);
    return id < 0 ? undefined : this.calls.get(id);
  }

  /** Forgets call `id`: its handles no longer wait for it (those a later call named stay with that one). */
  finish(id: number, handles: ArrayLike<number>): void {
    this.calls.delete(id);
    for (let i = 0; i < handles.length; i++) if (this.byHandle.get(handles[i]!) === id) this.byHandle.delete(handles[i]!);
  }
}
