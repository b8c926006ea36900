import type { Harness, RequestOptions } from '../../helpers/harness.ts';
import type { SsoEnv } from '../../helpers/sso-env.ts';
import type { GuardClient } from './fixture.ts';

type Answer = { status: number; body: any; res: Response };

/** The body as JSON when it parses (NDJSON exports and HTML pages stay text). */
async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text || undefined;
  if (text && /json/.test(res.headers.get('content-type') ?? '')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, body, res };
}

/** Through `app.request()`: the whole middleware stack, no sockets. */
export function inProcess(h: Harness): GuardClient & { close(): Promise<void> } {
  return {
    services: h.services,
    platformKey: h.platformKey,
    json: async (method, path, o) => read(await h.request(method, path, o)),
    close: () => h.close(),
  };
}

/**
 * Over a socket to a real server: what `app.request()` cannot show — the Node-level Check lane
 * in front of the application, and bodies that arrive with a declared Content-Length.
 */
export function overHttp(env: SsoEnv): GuardClient & { close(): Promise<void> } {
  return {
    services: env.services,
    platformKey: env.platformKey,
    async json(method: string, path: string, o: RequestOptions = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const key = o.key === undefined ? env.platformKey : o.key;
      if (key !== null) headers.authorization ??= `Bearer ${key}`;
      const body = o.body !== undefined ? JSON.stringify(o.body) : o.rawBody;
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      return read(await fetch(`${env.base}${path}`, { method, headers, body }));
    },
    async accessToken(app) {
      const res = await fetch(`${env.base}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'authz:read authz:write authz:model' }).toString(),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`route guard fixture: no access token (${res.status} ${JSON.stringify(body)})`);
      return body.access_token;
    },
    close: () => env.close(),
  };
}
