import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { cli } from '../../helpers/cli.ts';
import { Harness } from '../../helpers/harness.ts';

describe('the CLI run with the server\'s environment', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('works when it sets PORTCULLIS_LOG_LEVEL to nothing (the server then logs at info)', async () => {
    h = new Harness();
    expect(loadConfig({ PORTCULLIS_LOG_LEVEL: '' }).logLevel).toBe('info');
    const r = await cli(['tenant', 'list', '--data-dir', h.dir, '--json'], { PORTCULLIS_LOG_LEVEL: '' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json()).toHaveProperty('tenants');
  });

});
