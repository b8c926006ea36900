import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { FGA_CLI_MISSING_REASON, requireFgaCli, runFga, type FgaResult } from '../../helpers/fga-cli.ts';

/**
 * OpenFGA's `fga` CLI authenticating the way OpenFGA deployments do, with the OAuth client
 * credentials flow of its Go SDK, against Portcullis' own OpenID Provider: it fetches a token
 * from `/oidc/token` with an app's client id and secret, then calls the authorization API with
 * it. The token is bound to the app's tenant and limited to the app's scopes.
 */
const FGA = requireFgaCli();

describe.skipIf(!FGA)(`the fga CLI with client credentials from Portcullis' OpenID Provider${FGA ? '' : ` (skipped: ${FGA_CLI_MISSING_REASON})`}`, () => {
  let env: SsoEnv;
  let acme: { id: string; authz_store_id: string };
  let globex: { id: string; authz_store_id: string };
  let writer: { client_id: string; client_secret: string };
  let reader: { client_id: string; client_secret: string };
  let home: string;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    writer = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, { name: 'writer', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write'] });
    reader = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, { name: 'reader', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] });
    home = join(env.dir, 'fga-home');
    mkdirSync(home);
  });
  afterAll(() => env?.close());

  function fga(app: { client_id: string; client_secret: string }, scopes: string[], args: string[]): Promise<FgaResult> {
    const auth = ['--api-url', env.base, '--client-id', app.client_id, '--client-secret', app.client_secret, '--api-token-issuer', `${env.base}/oidc/token`];
    for (const s of scopes) auth.push('--api-scopes', s);
    return runFga(FGA as string, [...args, ...auth], home);
  }

  it('writes and checks tuples in its own tenant\'s store with a token it obtained itself', async () => {
    const store = ['--store-id', acme.authz_store_id];
    const org = `organization:${acme.id}`;
    const wrote = await fga(writer, ['authz:read', 'authz:write'], ['tuple', 'write', ...store, 'user:anne', 'member', org]);
    expect(wrote.status, wrote.stderr).toBe(0);
    expect(wrote.out.successful).toHaveLength(1);
    const check = await fga(writer, ['authz:read'], ['query', 'check', ...store, 'user:anne', 'member', org]);
    expect([check.status, check.out]).toEqual([0, { allowed: true }]);
    const objects = await fga(reader, ['authz:read'], ['query', 'list-objects', ...store, 'user:anne', 'member', 'organization']);
    expect(objects.out).toEqual({ objects: [org] });
    // The write is audited against the app.
    const events = env.services.audit.list(acme.id, {}, undefined, 100).data.filter((e) => e.action.startsWith('authz.tuple'));
    expect(events.map((e) => e.actor.credential_id ?? e.actor.id)).toContain(writer.client_id);
  });

  // A wrong secret or an unregistered scope is refused at /oidc/token (client-credentials.test.ts);
  // the Go SDK retries a refused token request with backoff for a long time, so not from here.
  it('cannot reach another tenant\'s store or write with a read-only app', async () => {
    const foreign = await fga(writer, ['authz:read'], ['query', 'check', '--store-id', globex.authz_store_id, 'user:anne', 'member', `organization:${globex.id}`]);
    expect(foreign.status).not.toBe(0);
    expect(foreign.stderr).toMatch(/store_id_not_found/);

    const readOnly = await fga(reader, ['authz:read'], ['tuple', 'write', '--store-id', acme.authz_store_id, 'user:bob', 'member', `organization:${acme.id}`]);
    expect(JSON.stringify(readOnly.out) + readOnly.stderr).toMatch(/forbidden.*lacks the 'authz:write' scope/);
    expect(env.services.storage.sql.raw.prepare(`SELECT count(*) AS n FROM authz_tuples WHERE user_id = 'bob'`).get()).toEqual({ n: 0 });
  });
});
