import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { loadConfig } from '../../src/config/load.ts';
import type { SettingKey } from '../../src/config/schema.ts';
import { FakeClock } from '../../src/lib/clock.ts';
import { buildServices, type Services } from '../../src/services.ts';
import { createApp } from '../../src/app.ts';
import { systemActor } from '../../src/audit/events.ts';
import type { Scope } from '../../src/apikeys/scopes.ts';

export function tempDir(prefix = 'portcullis-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Captures every log line the service writes, for assertions about what is (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface RequestOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * An in-process Portcullis over a real SQLite file in a temp dir, with a fake clock and a
 * captured log. `request` goes through `app.request()`: the full middleware stack, no sockets.
 */
export class Harness {
  readonly dir: string;
  readonly clock = new FakeClock('2026-06-01T12:00:00.000Z');
  readonly logs = new LogCapture();
  readonly services: Services;
  readonly app: OpenAPIHono;
  readonly platformKey: string;

  constructor(overrides: Partial<Record<SettingKey, unknown>> = {}) {
    this.dir = tempDir();
    const config = loadConfig({}, { dataDir: this.dir, logLevel: 'info', ...overrides });
    this.services = buildServices(config, { clock: this.clock, logDestination: this.logs });
    this.app = createApp(this.services);
    this.platformKey = (this.services.apiKeys.ensureFirstPlatformKey(systemActor()) as { key: string }).key;
  }

  async request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? this.platformKey : o.key;
    if (key !== null) headers.authorization ??= `Bearer ${key}`;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    return this.app.request(path, { method, headers, body });
  }

  async json<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<{ status: number; body: T; res: Response }> {
    const res = await this.request(method, path, o);
    const text = await res.text();
    const isJson = /json/.test(res.headers.get('content-type') ?? '');
    return { status: res.status, body: (text && isJson ? JSON.parse(text) : text || undefined) as T, res };
  }

  async createTenant(name: string, slug?: string): Promise<{ id: string; slug: string; authz_store_id: string }> {
    const { status, body } = await this.json('POST', '/admin/v1/tenants', { body: slug ? { name, slug } : { name } });
    if (status !== 201) throw new Error(`createTenant failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async tenantKey(tenantId: string, scopes: Scope[]): Promise<{ id: string; key: string }> {
    const { status, body } = await this.json('POST', `/admin/v1/tenants/${tenantId}/api-keys`, {
      body: { name: `test ${scopes.join(' ')}`, scopes },
    });
    if (status !== 201) throw new Error(`tenantKey failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async close(): Promise<void> {
    await this.services.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
