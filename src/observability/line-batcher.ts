import type { DestinationStream } from 'pino';

/**
 * The part of a sonic-boom stream (what `pino.destination()` returns) the batcher uses. Give it
 * a synchronous one (`sync: true`) so that `flushSync` on exit leaves nothing in flight.
 */
export interface ChunkSink {
  write(chunk: string): unknown;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
}

/**
 * Collects log lines and hands them to `sink` in chunks of about `chunkChars` characters, at
 * least every `intervalMs`, and on `flush`/`flushSync`/process exit. sonic-boom measures its
 * whole pending buffer on every write (`Buffer.byteLength` of a growing string), which at one
 * line per request costs more than the line itself; here a line costs an array push.
 */
export class LineBatcher implements DestinationStream {
  #lines: string[] = [];
  #chars = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #onExit = () => this.flushSync();

  constructor(
    private readonly sink: ChunkSink,
    private readonly chunkChars = 16_000,
    intervalMs = 500,
  ) {
    this.#timer = setInterval(() => this.#handOver(), intervalMs);
    this.#timer.unref();
    process.once('exit', this.#onExit);
  }

  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.chunkChars) this.#handOver();
    return true;
  }

  /** Writes every pending line, then calls back when the sink has written it. */
  flush(cb?: (err?: Error) => void): void {
    this.#handOver();
    this.sink.flush(cb);
  }

  flushSync(): void {
    this.#handOver();
    try {
      this.sink.flushSync();
    } catch {
      // An asynchronous sink refuses while a write is in flight; that write finishes on its own.
    }
  }

  /** Stops the timer and the exit hook (tests; a server keeps its batcher for its life). */
  close(): void {
    this.flushSync();
    clearInterval(this.#timer);
    process.removeListener('exit', this.#onExit);
  }

  #handOver(): void {
    if (this.#lines.length === 0) return;
    const chunk = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    try {
      this.sink.write(chunk);
    } catch {
      // The sink is closed (shutdown already ended it): nothing is left to write to.
    }
  }
}
