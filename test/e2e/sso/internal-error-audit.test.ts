import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

/**
 * A sign-in that fails for a reason Portcullis did not foresee (here: the directory look-up
 * throws, as a corrupt database would) is refused with the generic failure and audited as
 * `internal_error`; the error's own text (SQL, file paths) goes to the server log, not into the
 * tenant's audit log, which tenant admins read and export.
 */
describe('an unexpected error during a sign-in', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  it('is refused generically and audited as internal_error without the error text', async () => {
    const directory = env.services.directory;
    const original = directory.findUserByExternalId.bind(directory);
    // Fault injection: the look-up fails the way a damaged database would.
    directory.findUserByExternalId = () => {
      throw new Error('SQLITE_CORRUPT: database disk image is malformed (/srv/portcullis/data/portcullis.db)');
    };
    try {
      const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => answerTo(req, 'ada@acme.test'));
      expect(flow.landed).toMatch(/\/callback\?error=access_denied/);
    } finally {
      directory.findUserByExternalId = original;
    }
    const failed = env.audit(tenant.id, 'sso.login.failed').at(-1);
    expect(failed?.metadata).toMatchObject({ reason: 'internal_error', detail: expect.stringMatching(/server log/) });
    expect(JSON.stringify(failed)).not.toMatch(/SQLITE_CORRUPT|\/srv\/portcullis/);
    // The same sign-in works once the fault is gone.
    const again = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => answerTo(req, 'ada@acme.test'));
    expect(again.landed).toMatch(/\/callback\?code=/);
  });
});
