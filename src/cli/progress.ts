// The progress line of long work: on stderr, only when stderr is a terminal, redrawn at most five
// times a second and erased when the work is done, so piped output stays clean.

export class Progress {
  private last = 0;
  private shown = false;
  private readonly started = performance.now();
  readonly enabled: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = Boolean(stream.isTTY);
  }

  /** Redraws the line with `done` of 1 and a text; the elapsed and remaining time are added. */
  update(done: number, text: string, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    const elapsed = (now - this.started) / 1000;
    const left = done > 0.02 ? ` · about ${Math.ceil((elapsed / done) * (1 - done))} s left` : '';
    const line = `${text} · ${Math.floor(done * 100)}% · ${elapsed.toFixed(0)} s${left}`;
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 120) - 1)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
