// One macrotask turn, the same way everywhere in the host: HostStack.settle() waits for it, and a
// timed-out call fails in it, so the two are ordered (first scheduled, first run).

/** One macrotask turn: every microtask queued before it has run. */
export function nextTurn(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
