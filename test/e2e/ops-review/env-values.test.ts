import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { loadConfig } from '../../../src/config/load.ts';
import { cli } from '../../helpers/cli.ts';
import { Harness } from '../../helpers/harness.ts';

describe('environment values as deployments write them', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    if (h) rmSync(`${h.dir} `, { recursive: true, force: true });
    await h?.close();
    h = undefined;
  });

  it('reads values with surrounding spaces (an env file\'s `KEY=value `) as the value, not as another data directory or host', () => {
    const c = loadConfig({ PORTCULLIS_DATA_DIR: ' /srv/portcullis ', PORTCULLIS_HOST: '0.0.0.0 ', PORTCULLIS_LOG_LEVEL: ' warn', PORTCULLIS_AUTHZ: 'embedded ' });
    expect(c.dataDir).toBe('/srv/portcullis');
    expect(c.host).toBe('0.0.0.0');
    expect(c.logLevel).toBe('warn');
    expect(c.authz).toBe('embedded');
  });

  it('lets the CLI work on the server\'s data directory when PORTCULLIS_DATA_DIR carries a trailing space, instead of creating a new one beside it', async () => {
    h = new Harness();
    const t = await h.createTenant('Acme');
    const r = await cli(['tenant', 'list', '--json'], { PORTCULLIS_DATA_DIR: `${h.dir} ` });
    expect(r.code).toBe(0);
    expect(r.json().tenants.map((x: { id: string }) => x.id)).toContain(t.id);
    expect(existsSync(`${h.dir} `)).toBe(false);
  });
});
