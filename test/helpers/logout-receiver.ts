import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/**
 * An app's back-channel logout endpoint: records each logout token after verifying it against
 * the OpenID Provider's JWKS (with `jose`, as an app would).
 */
export class LogoutReceiver {
  readonly tokens: JWTPayload[] = [];
  #server?: Server;
  url = '';
  /** The app's client id (the logout token's audience); set once the app is registered. */
  audience = '';

  async start(issuer: string): Promise<this> {
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        try {
          const token = new URLSearchParams(body).get('logout_token') ?? '';
          const { payload } = await jwtVerify(token, jwks, { issuer, audience: this.audience, typ: 'logout+jwt' });
          this.tokens.push(payload);
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server!.address() as { port: number }).port}/backchannel-logout`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
