import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of the OpenFGA server that can hold what clients send (a server that has
 * stopped answering), then cut every connection (a server that went away) or let the held
 * requests through late (a server that was only slow).
 */
export class HoldingRelay {
  #server?: Server;
  #sockets = new Set<Socket>();
  #connections = new Set<{ holding: boolean; pending: Buffer[]; upstream: Socket }>();
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
      const connection = { holding: false, pending: [] as Buffer[], upstream };
      this.#connections.add(connection);
      downstream.on('data', (chunk: Buffer) => {
        connection.holding ||= this.holdWhen !== undefined && chunk.includes(this.holdWhen);
        if (this.mode === 'pass' && !connection.holding) return upstream.write(chunk);
        this.held++;
        connection.pending.push(chunk);
      });
      downstream.on('close', () => this.#connections.delete(connection));
      upstream.on('data', (chunk) => downstream.write(chunk));
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** Back to `pass`: what was held goes on to the server now (a server that was slow, not gone), in the order it was sent. */
  release(): void {
    this.mode = 'pass';
    this.holdWhen = undefined;
    for (const c of this.#connections) {
      c.holding = false;
      for (const chunk of c.pending.splice(0)) c.upstream.write(chunk);
    }
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
