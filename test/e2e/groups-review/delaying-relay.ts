import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of OpenFGA that, when armed, keeps back what the next client connection
 * sends (the request is late, not lost) until `release()`; every other connection passes. Lets a
 * test put another request's OpenFGA calls before an earlier request's write.
 */
export class DelayingRelay {
  #server?: Server;
  #sockets = new Set<Socket>();
  #armed = false;
  #late?: { upstream: Socket; chunks: Buffer[] };
  url = '';

  async start(target: URL): Promise<void> {
    this.#server = createServer((downstream) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [downstream, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      downstream.on('data', (chunk: Buffer) => {
        if (this.#armed && !this.#late) {
          this.#armed = false;
          this.#late = { upstream, chunks: [] };
        }
        if (this.#late?.upstream === upstream) this.#late.chunks.push(chunk);
        else upstream.write(chunk);
      });
      upstream.on('data', (chunk) => downstream.write(chunk));
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  arm(): void {
    this.#armed = true;
  }

  get holding(): boolean {
    return (this.#late?.chunks.length ?? 0) > 0;
  }

  release(): void {
    const late = this.#late;
    this.#late = undefined;
    for (const c of late?.chunks ?? []) late?.upstream.write(c);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
