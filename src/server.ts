import { serve, type ServerType } from '@hono/node-server';
import { createServer, ServerResponse, type IncomingMessage, type Server, type ServerOptions as ServerOptionsOf } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Services } from './services.ts';
import { createApp } from './app.ts';
import { nodeCheckLaneDeps } from './authz/routes/index.ts';
import { withNodeCheckLane } from './authz/routes/node-check.ts';

type Listener = Parameters<typeof withNodeCheckLane>[1];

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Answer plain Checks before the application (see node-check.ts); off only to compare the two. */
  checkLane?: boolean;
}

export async function startServer(s: Services, options: ServerOptions = {}): Promise<RunningServer> {
  const app = createApp(s);
  const lane = options.checkLane === false ? undefined : nodeCheckLaneDeps(s);
  let stopping = false;
  // Once shutdown starts, every response not yet begun says `Connection: close` and closes its
  // connection after it: a keep-alive client would otherwise reuse a connection the server is
  // about to close, and its next request would meet a reset (was it processed?) instead of a refusal.
  class Response extends ServerResponse {}
  const writeHead = ServerResponse.prototype.writeHead;
  Response.prototype.writeHead = function writeHeadClosing(this: ServerResponse, ...args: unknown[]) {
    if (stopping) this.shouldKeepAlive = false;
    return writeHead.apply(this, args as Parameters<typeof writeHead>);
  } as typeof writeHead;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const srv = serve(
      {
        fetch: app.fetch,
        port: s.config.port,
        hostname: s.config.host,
        createServer: ((serverOptions: ServerOptionsOf, listener: Listener) => createServer({ ...serverOptions, ServerResponse: Response as typeof ServerResponse<IncomingMessage> }, lane ? withNodeCheckLane(lane, listener) : listener)) as typeof createServer,
      },
      () => resolve(srv),
    );
    srv.once('error', reject);
  });
  const http = server as Server;
  const { port } = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${s.config.host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopping = true;
        const force = setTimeout(() => http.closeAllConnections(), s.config.shutdownTimeoutMs);
        // Keep-alive connections become idle as their last request finishes: close them then.
        const sweep = setInterval(() => http.closeIdleConnections(), 50);
        force.unref();
        http.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        http.closeIdleConnections();
      });
      return closing;
    },
  };
}
