import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of the OpenFGA server that can hold what clients send (a server that has
 * stopped answering) and then cut every connection (a server that went away).
 */
export class HoldingRelay {
  #server?: Server;
  #sockets = new Set<Socket>();
  mode: 'pass' | 'hold' | 'cut' = 'pass';
  /** In `pass` mode, a connection that sends this text (e.g. one store's id in a request path) is held from then on; the others pass. */
  holdWhen?: string;
  held = 0;
  url = '';

  async start(target: URL): Promise<void> {
    this.#server = createServer((downstream) => {
      if (this.mode === 'cut') return void downstream.destroy();
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [downstream, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      let holding = false;
      downstream.on('data', (chunk: Buffer) => {
        holding ||= this.holdWhen !== undefined && chunk.includes(this.holdWhen);
        return this.mode === 'pass' && !holding ? upstream.write(chunk) : this.held++;
      });
      upstream.on('data', (chunk) => downstream.write(chunk));
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  cut(): void {
    this.mode = 'cut';
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
