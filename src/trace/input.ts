// The bytes of a trace file as a sliding window, read in large chunks: plain or gzip (detected by
// its magic, decompressed with node:zlib as it streams). Parsers read records straight out of
// `bytes`/`view` between `start` and `end` and ask for more when a record runs past `end`; the
// window only grows to hold the largest single record, so memory never depends on the file size.
//
//   bytes:  [ consumed ... | start ...... unparsed ...... end | free ............ ]
//            ^ offset `base` in the stream                    more() compacts, then appends a chunk

import { createReadStream, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { TraceError } from './errors.js';

const CHUNK = 1 << 20;

export class ByteInput {
  bytes = new Uint8Array(4 * CHUNK);
  view = new DataView(this.bytes.buffer);
  /** First unparsed byte. */
  start = 0;
  /** End of the valid bytes. */
  end = 0;
  /** Stream offset of bytes[0]. */
  base = 0;
  /** No more bytes will come. */
  eof = false;
  /** A gzip stream that ended early (a truncated .gz): the bytes so far are all there is. */
  truncatedGzip = false;
  readonly gzip: boolean;
  /** Size of the file on disk (compressed size for gzip). */
  readonly fileSize: number;
  private readonly raw: ReturnType<typeof createReadStream>;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(readonly path: string) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new TraceError('Io', `cannot open ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, -1);
    }
    const head = new Uint8Array(2);
    let n: number;
    try {
      n = readSync(fd, head, 0, 2, 0);
      this.fileSize = fstatSync(fd).size;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new TraceError('Io', `cannot read ${path}: ${code === 'EISDIR' ? 'it is a directory' : (code ?? String(error))}`, -1);
    } finally {
      closeSync(fd);
    }
    this.gzip = n === 2 && head[0] === 0x1f && head[1] === 0x8b;
    this.raw = createReadStream(path, { highWaterMark: CHUNK });
    const stream: Readable = this.gzip ? this.raw.pipe(createGunzip({ chunkSize: CHUNK })) : this.raw;
    if (this.gzip) this.raw.on('error', (error) => stream.destroy(error));
    this.chunks = stream[Symbol.asyncIterator]();
  }

  /** Bytes of the file read from disk so far (compressed bytes for gzip): progress against fileSize. */
  get fileBytesRead(): number {
    return this.raw.bytesRead;
  }

  /** Stream offset of bytes[i]. */
  offset(i: number): number {
    return this.base + i;
  }

  /**
   * Reads one more chunk into the window, keeping bytes from `start` on. Returns false at the end
   * of the stream. Throws TraceError('Gzip') for a corrupt gzip stream; a gzip stream that just
   * stops sets `truncatedGzip` and ends like a file would.
   */
  async more(): Promise<boolean> {
    if (this.eof) return false;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.chunks.next();
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (this.gzip && (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message))) {
        this.truncatedGzip = true;
        this.eof = true;
        return false;
      }
      if (this.gzip && typeof e.code === 'string' && e.code.startsWith('Z_')) {
        throw new TraceError(
          'Gzip',
          `${this.path}: the gzip stream is corrupt (${e.message}) after ${this.offset(this.end).toLocaleString('en-US')} decompressed bytes, near byte ${this.fileBytesRead.toLocaleString('en-US')} of the file`,
          this.offset(this.end),
        );
      }
      throw new TraceError('Io', `cannot read ${this.path}: ${e.code ?? e.message}`, this.offset(this.end));
    }
    if (next.done) {
      this.eof = true;
      return false;
    }
    const chunk = next.value;
    const keep = this.end - this.start;
    if (keep + chunk.length > this.bytes.length) {
      // Grow only to hold what is kept plus one chunk: the largest record bounds the window.
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, keep + chunk.length));
      grown.set(this.bytes.subarray(this.start, this.end));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    } else if (this.start > 0) {
      this.bytes.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.start = 0;
    this.end = keep;
    this.bytes.set(chunk, this.end);
    this.end += chunk.length;
    return true;
  }

  /** Makes at least `n` bytes available from `start`; false if the stream ends first. */
  async need(n: number): Promise<boolean> {
    while (this.end - this.start < n) if (!(await this.more())) return false;
    return true;
  }

  close(): void {
    this.raw.destroy();
    void this.chunks.return?.();
  }
}
