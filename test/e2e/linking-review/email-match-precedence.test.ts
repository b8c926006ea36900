import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * Linking by a verified email when two directory users carry it: one as the address they go by
 * (their only email, sent without a `primary` flag, as many SCIM clients do), the other as a
 * secondary address (an alias on a colleague's account). The person whose address it is must be
 * the one signed in, not the colleague, whatever the flags the SCIM client sent or the order the
 * users were pushed in.
 */
describe('linking by a verified email that two users carry', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let dir: ScimDirectory;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Bank', 'bank');
    await env.verifiedDomain(tenant.id, 'bank.test');
    dir = await scimDirectory(env, tenant.id, 'HR');
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  const push = async (userName: string, emails: Record<string, unknown>[]): Promise<string> => {
    const r = await dir.call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, emails, active: true });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  async function signIn(nameId: string, email: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank' }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { failure: env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const claims = tokens.claims()!;
    return { sub: claims.sub, email: claims.email };
  }

  it("signs in the user whose only email it is (no primary flag), not a colleague who has it as a secondary address (primary: false)", async () => {
    const bob = await push('bob', [{ value: 'bob@bank.test', type: 'work', primary: true }, { value: 'alice@bank.test', type: 'other', primary: false }]);
    const alice = await push('alice', [{ value: 'alice@bank.test', type: 'work' }]);
    const r = await signIn('okta-alice', 'alice@bank.test');
    expect(r).toMatchObject({ sub: alice, email: 'alice@bank.test' });
    expect(r.sub).not.toBe(bob);
  });

  it('signs in the user whose first (main) email it is, not an older colleague who lists it second, none flagged primary', async () => {
    const dan = await push('dan', [{ value: 'dan@bank.test', type: 'work' }, { value: 'carol@bank.test', type: 'other' }]);
    const carol = await push('carol', [{ value: 'carol@bank.test', type: 'work' }]);
    const r = await signIn('okta-carol', 'carol@bank.test');
    expect(r).toMatchObject({ sub: carol, email: 'carol@bank.test' });
    expect(r.sub).not.toBe(dan);
  });
});
