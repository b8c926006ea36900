/**
 * A minimal browser for e2e flows: a cookie jar (per host, path-scoped, like a real one) and
 * manual redirects, so tests can stop where the flow leaves for an IdP or an app.
 */
export class Browser {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  /** `headers` go on every request (an `X-Forwarded-For` the test's trusted proxy would add). */
  constructor(readonly headers: Record<string, string> = {}) {}

  #cookieHeader(url: URL): string {
    return [...this.#cookies.entries()]
      .filter(([key, c]) => key.startsWith(`${url.hostname}|`) && url.pathname.startsWith(c.path))
      .map(([key, c]) => `${key.split('|')[2]}=${c.value}`)
      .join('; ');
  }

  /** The Cookie header this browser would send to `url`. */
  cookiesFor(url: string): string {
    return this.#cookieHeader(new URL(url));
  }

  #store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) || '/';
      const expired = attrs.some((a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()) || attrs.some((a) => /^max-age=0$/i.test(a));
      const key = `${url.hostname}|${path}|${name}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { value, path });
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const headers: Record<string, string> = { ...this.headers, ...init.headers, cookie: this.#cookieHeader(u) };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(u, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.#store(u, res);
    return res;
  }

  /**
   * Follows redirects from `url` until a response is not a redirect, or the next location
   * satisfies `stop` (returned without being fetched).
   */
  async follow(url: string, stop: (location: string) => boolean, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<{ url: string; res?: Response }> {
    let current = url;
    let res = await this.request(current, init);
    for (let i = 0; i < 20; i++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url: current, res };
      await res.body?.cancel();
      current = new URL(location, current).toString();
      if (stop(current)) return { url: current };
      res = await this.request(current);
    }
    throw new Error('too many redirects');
  }
}

/** Reads a form (action + hidden inputs) out of an HTML page. */
export function readForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields[m[1] as string] = m[2] as string;
  return { action: action.replace(/&amp;/g, '&'), fields };
}
