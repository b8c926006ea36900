import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';

describe('PORTCULLIS_SHUTDOWN_TIMEOUT_MS', () => {
  it('refuses a PORTCULLIS_SHUTDOWN_TIMEOUT_MS that Node timers cannot hold (above 2^31-1 ms they fire after 1 ms, cutting every in-flight request at SIGTERM)', () => {
    expect(loadConfig({ PORTCULLIS_SHUTDOWN_TIMEOUT_MS: '2147483647' }).shutdownTimeoutMs).toBe(2_147_483_647);
    expect(() => loadConfig({ PORTCULLIS_SHUTDOWN_TIMEOUT_MS: '3000000000' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORTCULLIS_SHUTDOWN_TIMEOUT_MS: '3000000000' })).toThrow(/PORTCULLIS_SHUTDOWN_TIMEOUT_MS/);
  });
});
