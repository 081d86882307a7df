// The standing-traffic changes the host owes a target that keeps rates itself (OffloadTarget.steady):
// queued as the engine's connections become Offloaded, change rate or start terminating, and handed
// over in one call, in the order they happened (a start and a stop of one handle may both be queued).
//
//   handle   [ h7  | h3  | h7 | ... ]   Float64Array, `count` entries
//   sent     [ 900 | 10  | 0  | ... ]   bytes per clock step; (0, 0) stops the rate
//   received [ 90  | 400 | 0  | ... ]
//
// flush() hands the arrays over and queues into a spare pair during the call, so a target that calls
// back into the host from steady() (which queues and flushes again) never sees its arrays change.

export class RateChanges {
  count = 0;
  private handle: Float64Array = new Float64Array(64);
  private sent: Float64Array = new Float64Array(64);
  private received: Float64Array = new Float64Array(64);
  private spare: [Float64Array, Float64Array, Float64Array] | undefined;

  add(handle: number, sent: number, received: number): void {
    const n = this.count;
    if (n === this.handle.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(2 * a.length);
        b.set(a);
        return b;
      };
      // All three or none: a failed allocation must not leave one array longer than the others.
      const grown = [grow(this.handle), grow(this.sent), grow(this.received)] as const;
      [this.handle, this.sent, this.received] = grown;
    }
    this.handle[n] = handle;
    this.sent[n] = sent;
    this.received[n] = received;
    this.count = n + 1;
  }

  /** Calls `steady` with the queued changes (if any) and empties the queue; what `steady` throws is the caller's. */
  flush(steady: (handles: Float64Array, sent: Float64Array, received: Float64Array, count: number) => void): void {
    const n = this.count;
    if (n === 0) return;
    const handle = this.handle;
    const sent = this.sent;
    const received = this.received;
    const size = handle.length;
    [this.handle, this.sent, this.received] = this.spare ?? [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
    this.spare = undefined;
    this.count = 0;
    try {
      steady(handle, sent, received, n);
    } finally {
      this.spare = [handle, sent, received];
    }
  }
}
