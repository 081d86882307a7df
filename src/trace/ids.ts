// Connection ids for a WorkloadSource: small, dense, reused only after the tick that closed them
// (the contract in src/sim/source.ts), so consumers can index typed arrays by id.
export class IdPool {
  private free = new Uint32Array(1024);
  private freeCount = 0;
  private held = new Uint32Array(1024);
  private heldCount = 0;
  /** Ids handed out so far at most once each: the high-water mark. */
  next = 0;

  acquire(): number {
    return this.freeCount > 0 ? this.free[--this.freeCount]! : this.next++;
  }

  /** The id's connection closed in this tick: reusable after the tick. */
  release(id: number): void {
    if (this.heldCount === this.held.length) {
      const g = new Uint32Array(this.held.length * 2);
      g.set(this.held);
      this.held = g;
    }
    this.held[this.heldCount++] = id;
  }

  /** The tick is over: released ids become free. */
  endTick(): void {
    if (this.freeCount + this.heldCount > this.free.length) {
      const g = new Uint32Array(Math.max(this.free.length * 2, this.freeCount + this.heldCount));
      g.set(this.free.subarray(0, this.freeCount));
      this.free = g;
    }
    this.free.set(this.held.subarray(0, this.heldCount), this.freeCount);
    this.freeCount += this.heldCount;
    this.heldCount = 0;
  }
}
