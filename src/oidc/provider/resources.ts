import { errors, type KoaContextWithOIDC, type Client, type ResourceServer } from 'oidc-provider';
import { OIDC_TTL } from '../constants.ts';
import type { SqliteAppLookup } from '../apps/sqlite-store.ts';
import type { SqliteTenantRegistry } from '../../tenants/sqlite-store.ts';

/**
 * Resource indicators, used for one resource: the authorization API. Client-credentials
 * requests default to it and get an ES256-signed JWT access token whose scopes are those
 * requested among the ones the app was registered with (none requested: none granted);
 * interactive flows keep opaque tokens for userinfo. An app whose
 * tenant is not active (suspended) gets no token: `unauthorized_client`.
 */
export function resourceIndicators(resource: string, apps: SqliteAppLookup, tenants: Pick<SqliteTenantRegistry, 'findById'>) {
  return {
    enabled: true,
    defaultResource: async (ctx: KoaContextWithOIDC, _client: Client, oneOf?: string | string[]) => {
      if (oneOf) return oneOf;
      return ctx.oidc.params?.grant_type === 'client_credentials' ? resource : undefined;
    },
    useGrantedResource: async () => false,
    getResourceServerInfo: async (ctx: KoaContextWithOIDC, indicator: string, client: Client): Promise<ResourceServer> => {
      // Only client credentials: a sign-in naming it looped (its scopes are never granted to a
      // person) or minted a person's JWT that /stores took for the app's own credential.
      if (indicator !== resource || ctx.oidc.params?.grant_type !== 'client_credentials') throw new errors.InvalidTarget();
      const app = apps.findLive(client.clientId);
      if (!app || !app.grant_types.includes('client_credentials')) throw new errors.InvalidTarget();
      if (tenants.findById(app.tenant_id)?.status !== 'active') throw new errors.UnauthorizedClient("the app's tenant is not active");
      return {
        scope: app.authz_scopes.join(' '),
        audience: resource,
        accessTokenTTL: OIDC_TTL.clientCredentials,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      };
    },
  };
}
