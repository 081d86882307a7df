// A small typed event emitter that runs the same in Node and browsers (no dependency on either's
// EventEmitter or EventTarget). A listener that throws does not stop the others; the error goes to
// the 'error' listeners, or is rethrown asynchronously if there are none.

export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(event: never) => void>>();

  /** Calls `listener` for every `name` event; returns a function that removes it. */
  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => this.off(name, listener);
  }

  /** Calls `listener` for the next `name` event only. */
  once<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    const off = this.on(name, (event) => {
      off();
      listener(event);
    });
    return off;
  }

  off<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): void {
    this.listeners.get(name)?.delete(listener as (event: never) => void);
  }

  /** True if someone listens for `name` (so that building an event per object can be skipped). */
  protected listening(name: keyof Events): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  protected emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (event: Events[K]) => void)(event);
      } catch (error) {
        if (name !== 'error' && this.listeners.get('error')?.size) {
          (this.emit as (n: string, e: unknown) => void)('error', {
            message: `a '${String(name)}' listener threw: ${String(error)}`,
            fault: 'listener',
            error,
          });
        } else
          queueMicrotask(() => {
            throw error;
          });
      }
    }
  }
}
