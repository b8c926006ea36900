import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir } from '../../helpers/harness.ts';
import { cli } from '../../helpers/cli.ts';

/** "Bad config fails at start with the offending key named": also what only the listen call can tell. */
describe('serve with a PORTCULLIS_HOST it cannot listen on', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each(['localhost:8080', 'http://127.0.0.1', 'no-such-host.invalid'])('refuses %s with exit 2, naming PORTCULLIS_HOST', async (host) => {
    const dir = tempDir('portcullis-bad-host-');
    dirs.push(dir);
    const r = await cli(['serve', '--data-dir', dir, '--json'], { PORTCULLIS_HOST: host, PORTCULLIS_PORT: '0', PORTCULLIS_LOG_LEVEL: 'silent' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORTCULLIS_HOST');
    expect(r.stderr).toContain(host);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() as string).error.code).toBe('invalid_configuration');
  });
});
