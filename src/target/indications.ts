// The indications a simulated target makes when told to (by tests, or by a scenario's host events):
// each goes straight to the host stack attached to it. SimulatedTarget makes them, and so does
// simulate's TargetThread, which runs a SimulatedTarget on a worker thread but makes these on the
// host's side (they need none of the target's state).

import type { UploadReason } from '../table/enums.js';
import { invalid } from '../table/errors.js';
import { requireInt } from '../table/validate.js';
import type { TargetEvents } from './offload-target.js';

export abstract class TargetIndications {
  /** The most connections it holds. */
  abstract capacity: number;
  /** The host stack's handlers, once one is attached. */
  protected events: TargetEvents | undefined;

  /** `name` says who complains in messages (e.g. 'SimulatedTarget'). */
  constructor(private readonly name: string) {}

  /** The host registers its handlers for the target's indications (once). */
  attach(events: TargetEvents): void {
    if (this.events) invalid(`${this.name}: a host stack is attached already`);
    this.events = events;
  }

  linkDown(ifIndex: number): void {
    this.attached().link(ifIndex, false);
  }
  linkUp(ifIndex: number): void {
    this.attached().link(ifIndex, true);
  }
  requestUpload(handle: number, reason: UploadReason): void {
    this.attached().uploadRequested(handle, reason);
  }
  requestUploadAll(): void {
    this.attached().uploadAll();
  }
  pauseOffload(): void {
    this.attached().offloadPause();
  }
  resumeOffload(): void {
    this.attached().offloadResume();
  }
  setCapacity(connections: number): void {
    this.capacity = requireInt(connections, 0, 2 ** 31, 'setCapacity: connections');
    this.capacityChanged(this.capacity);
    this.attached().capacity(this.capacity);
  }

  /** What the target does with a new capacity before the host hears of it (default: nothing more). */
  protected capacityChanged(_connections: number): void {}

  /** The attached host stack's handlers; InvalidArgument if none is attached. */
  protected attached(): TargetEvents {
    if (!this.events) invalid(`${this.name}: no host stack is attached (HostStack.create attaches one)`);
    return this.events;
  }
}
