import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';

/** A small page; values are escaped. */
export function html(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}
export const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const TLS = join(import.meta.dirname, '../../fixtures/tls');
/** The self-signed loopback certificate the HTTPS test sites present (fixtures/tls). */
export const LOOPBACK_CERT = readFileSync(join(TLS, 'loopback.cert.pem'), 'utf8');

/**
 * An HTTP server on 127.0.0.1 with a free port; `url` is its origin. With `tls`, HTTPS with the
 * self-signed loopback certificate in fixtures/tls (browsers accept it with `ignoreHTTPSErrors`).
 */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void, options: { tls?: boolean } = {}): Promise<{ server: Server; url: string }> {
  let origin = '';
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve(handler(req, res, new URL(req.url ?? '/', origin))).catch((err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(err.stack ?? String(err));
    });
  };
  const server = options.tls
    ? createTlsServer({ key: readFileSync(join(TLS, 'loopback.key.pem')), cert: LOOPBACK_CERT }, listener)
    : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, url: origin };
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Closes a server and the keep-alive connections a browser holds open to it. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
