import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { transformer } from '@openfga/syntax-transformer';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';

const bin = requireOpenFgaBinary();
const procurement = transformer.transformDSLToJSONObject(readFileSync(new URL('../../../policies/examples/procurement.fga', import.meta.url), 'utf8'));

/**
 * The app wrote its own model (docs/authz.md's procurement example, whose organization has no
 * `viewer`) and the IT admin mapped an IdP group to `viewer` (docs/sso.md's example): a sign-in
 * of that group's members cannot get its mapped role. It is refused with a reason the admin can
 * act on, not as a fault in Portcullis, and leaves no live session.
 */
describe.each([
  { backend: 'embedded', skip: false },
  { backend: 'openfga', skip: !bin },
])('an SSO group mapping to a relation the tenant model lacks ($backend backend)', ({ backend, skip }) => {
  if (skip) return void it.skip(`needs the OpenFGA server: ${OPENFGA_MISSING_REASON}`);
  let fga: OpenFgaServer | undefined;
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    if (backend === 'openfga') fga = await OpenFgaServer.start(bin as string);
    env = await SsoEnv.start({ config: fga ? { authz: 'openfga', openfgaUrl: fga.url } : {} });
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Finance Reviewers', relation: 'viewer' }] });
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'fin@acme.test', email: 'fin@acme.test', externalId: 'fin@acme.test' });
    expect((await env.api('POST', `/stores/${tenant.authz_store_id}/authorization-models`, procurement)).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await fga?.stop();
  });

  it('refuses the sign-in as group_mapping_invalid, names the relation, and leaves no live session', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'fin@acme.test', attributes: { groups: ['Finance Reviewers'] } }));
    expect(flow.landed).toMatch(/\/callback\?error=access_denied/);
    const failure = env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata;
    expect(failure).toMatchObject({ reason: 'group_mapping_invalid', detail: expect.stringMatching(/viewer/) });
    const live = env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sessions WHERE tenant_id = ? AND revoked_at IS NULL').get(tenant.id) as { n: number };
    expect(live.n).toBe(0);
    await env.services.logger.flush();
    expect(env.logs.lines.filter((l) => JSON.parse(l).level === 'error')).toEqual([]);
  });

  it('signs in the people outside the mapped group', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'fin@acme.test', attributes: { groups: ['Everyone'] } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
  });
});
