import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Services } from './services.ts';
import { createApp } from './app.ts';

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes. */
  close(): Promise<void>;
}

export async function startServer(s: Services): Promise<RunningServer> {
  const app = createApp(s);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const srv = serve({ fetch: app.fetch, port: s.config.port, hostname: s.config.host }, () => resolve(srv));
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
