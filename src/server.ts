import { serve, type ServerType } from '@hono/node-server';
import { createServer, type ServerResponse, type Server, type ServerOptions as ServerOptionsOf } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Services } from './services.ts';
import { ConfigError } from './config/load.ts';
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
  // about to close, and its next request would meet a reset (was it processed?) instead of a
  // refusal. Requests arriving after that are marked as they come; the ones in flight are found
  // through their connections at shutdown. (A ServerResponse subclass doing this in writeHead
  // cost ~4 µs of CPU per request: 18 → 22.6 µs on the Check benchmark.)
  const closingAware = (listener: Listener): Listener =>
    function closingAwareListener(req, res) {
      if (stopping) res.shouldKeepAlive = false;
      return listener(req, res);
    };
  const server = await new Promise<ServerType>((resolve, reject) => {
    const srv = serve(
      {
        fetch: app.fetch,
        port: s.config.port,
        hostname: s.config.host,
        createServer: ((serverOptions: ServerOptionsOf, listener: Listener) =>
          createServer(serverOptions, closingAware(lane ? withNodeCheckLane(lane, listener) : listener))) as typeof createServer,
      },
      () => resolve(srv),
    );
    srv.once('error', (err: NodeJS.ErrnoException) => reject(hostError(err, s.config.host) ?? err));
  });
  const http = server as Server;
  const { port } = http.address() as AddressInfo;
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${s.config.host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopping = true;
        // The response a connection is busy with (Node keeps it on the socket until it is sent).
        for (const socket of sockets) {
          const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
          if (res && !res.headersSent) res.shouldKeepAlive = false;
        }
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

/** A host that does not resolve, or is no address of this machine, is bad configuration: say which. */
function hostError(err: NodeJS.ErrnoException, host: string): ConfigError | undefined {
  if (err.code !== 'ENOTFOUND' && err.code !== 'EAI_AGAIN' && err.code !== 'EADDRNOTAVAIL') return undefined;
  return new ConfigError('PORTCULLIS_HOST', `cannot listen on '${host}' (${err.code}): give a host name or IP address of this machine, without scheme or port`);
}
