import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './load.ts';
import { renderConfigReference } from './reference.ts';

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: './data', baseUrl: 'http://127.0.0.1:8080' });
  });

  it('reads PORTCULLIS_* variables and freezes the result', () => {
    const c = loadConfig({ PORTCULLIS_PORT: '9090', PORTCULLIS_BASE_URL: 'https://id.example.com/', PORTCULLIS_TRUST_PROXY: 'true' });
    expect(c.port).toBe(9090);
    expect(c.baseUrl).toBe('https://id.example.com');
    expect(c.trustProxy).toBe(1);
    expect(loadConfig({ PORTCULLIS_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ['PORTCULLIS_PORT', 'eighty'],
    ['PORTCULLIS_PORT', '70000'],
    ['PORTCULLIS_BASE_URL', 'not a url'],
    ['PORTCULLIS_BASE_URL', 'ftp://example.com'],
    ['PORTCULLIS_LOG_LEVEL', 'loud'],
    ['PORTCULLIS_BODY_LIMIT_BYTES', '12'],
    ['PORTCULLIS_TRUST_PROXY', 'yes'],
    ['PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS', 'https://app.internal/logout'],
    ['PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS', 'app.internal,,other'],
    ['PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS', 'app.internal:8443'],
    ['PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS', 'app.internal, 10.0.3.7:80'],
    ['PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS', '[::1]:8080'],
    ['PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS', '[app.internal]'],
  ])('refuses %s=%s and names the variable', (key, value) => {
    let err: unknown;
    try {
      loadConfig({ [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
    expect((err as Error).message).toContain(key);
  });

  it('reads PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS as host names the way URLs write them (lower case, IPv6 in brackets)', () => {
    const c = loadConfig({ PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS: ' App.Internal , ::1,[FD00::7], 10.0.3.7 ' });
    expect(c.backchannelPrivateHosts).toEqual(['app.internal', '[::1]', '[fd00::7]', '10.0.3.7']);
    expect(loadConfig({}).backchannelPrivateHosts).toBeUndefined();
  });

  it('keeps the README configuration reference identical to the schema', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(renderConfigReference());
  });
});
