import { request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type * as client from 'openid-client';
import { LOOPBACK_CERT, closeServer, listen } from './web-site.ts';

/**
 * A TLS-terminating reverse proxy on 127.0.0.1 in front of a plain-HTTP server on `targetPort`,
 * as a load balancer stands in front of Portcullis in production: it adds `X-Forwarded-For` and
 * `X-Forwarded-Proto: https` and passes everything else through.
 */
export async function startTlsProxy(targetPort: number): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const { server, url } = await listen(
    (req, res) =>
      new Promise<void>((resolve, reject) => {
        const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1', 'x-forwarded-proto': 'https' };
        const upstream = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
          answer.pipe(res).on('finish', resolve).on('error', reject);
        });
        upstream.on('error', reject);
        req.pipe(upstream);
      }),
    { tls: true },
  );
  return { server, port: Number(new URL(url).port), close: () => closeServer(server) };
}

/** A fetch for openid-client that trusts the loopback certificate (Node's fetch cannot be given a CA). */
export const loopbackTlsFetch: client.CustomFetch = (url, options) =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    new Headers(options.headers as HeadersInit).forEach((value, name) => (headers[name] = value));
    const req = httpsRequest(url, { method: options.method, headers, ca: LOOPBACK_CERT }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        resolve(new Response(chunks.length ? Buffer.concat(chunks) : null, { status: res.statusCode, headers: answer }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body === undefined || options.body === null ? undefined : String(options.body));
  });
