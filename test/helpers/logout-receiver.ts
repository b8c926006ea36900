import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/**
 * An app's back-channel logout endpoint: records each logout token after verifying it against
 * the OpenID Provider's JWKS (with `jose`, as an app would). It counts the deliveries it is
 * answering at once (`maxInFlight`); `holdMs` makes each answer wait, as a slow app does.
 */
export class LogoutReceiver {
  readonly tokens: JWTPayload[] = [];
  #server?: Server;
  url = '';
  /** The app's client id (the logout token's audience), or several apps' sharing this endpoint; set once registered. */
  audience: string | string[] = '';
  /** How long each delivery is held before it is answered. */
  holdMs = 0;
  inFlight = 0;
  maxInFlight = 0;

  async start(issuer: string): Promise<this> {
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    this.#server = createServer((req, res) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      res.once('close', () => this.inFlight--);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        if (this.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs));
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
