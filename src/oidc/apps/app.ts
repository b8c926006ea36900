import { badRequest } from '../../http/errors.ts';
import { resourceEtag } from '../../lib/etag.ts';
import type { AppAuthzScope } from '../constants.ts';

export const APP_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type AppGrantType = (typeof APP_GRANT_TYPES)[number];
export const APP_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type AppAuthMethod = (typeof APP_AUTH_METHODS)[number];

/** An OIDC client of Portcullis' OpenID Provider, owned by one tenant. */
export interface App {
  id: string;
  tenant_id: string;
  name: string;
  token_endpoint_auth_method: AppAuthMethod;
  grant_types: AppGrantType[];
  /** Authorization-API scopes a client-credentials token of this app carries. */
  authz_scopes: AppAuthzScope[];
  /** When true, users of any tenant may sign in to this app (the tenant comes from the login). */
  multi_tenant: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  backchannel_logout_uri: string | null;
  initiate_login_uri: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface AppWithSecret extends App {
  secret_hash: string | null;
}

export function appView(a: App) {
  return {
    id: a.id,
    client_id: a.id,
    tenant_id: a.tenant_id,
    name: a.name,
    token_endpoint_auth_method: a.token_endpoint_auth_method,
    grant_types: a.grant_types,
    authz_scopes: a.authz_scopes,
    multi_tenant: a.multi_tenant,
    redirect_uris: a.redirect_uris,
    post_logout_redirect_uris: a.post_logout_redirect_uris,
    backchannel_logout_uri: a.backchannel_logout_uri,
    initiate_login_uri: a.initiate_login_uri,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

export const appEtag = (a: App) => resourceEtag(a.id, a.version);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Redirect and logout URIs: absolute, no fragment, HTTPS (plain HTTP only to a loopback host,
 * for development), or a private-use scheme for native apps.
 */
/** A private-use URI scheme in reverse-domain form (`com.example.app:`), as native apps register (RFC 8252 §7.1). */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/;

export function assertAppUri(uri: string, field: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw badRequest('invalid_uri', `${field}: '${uri}' is not an absolute URI.`);
  }
  // An empty fragment (`…/cb#`) leaves `url.hash` empty, yet the provider refuses the whole app for it.
  if (url.href.includes('#')) throw badRequest('invalid_uri', `${field}: '${uri}' must not have a fragment.`);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
  if (field.startsWith('redirect') && PRIVATE_USE_SCHEME.test(url.protocol)) return;
  throw badRequest('invalid_uri', `${field}: '${uri}' must use https (http only for a loopback host).`);
}

/** Whether an app with these redirect URIs is a native app (RFC 8252): one of them has a private-use scheme. */
export function isNativeApp(redirectUris: string[]): boolean {
  // The scheme as URL reads it (lower case), as assertAppUri checked it: `com.Example.App:` too.
  return redirectUris.some((u) => PRIVATE_USE_SCHEME.test(URL.parse(u)?.protocol ?? ''));
}

/**
 * A native app's redirect and logout URIs on a loopback host use http (RFC 8252 §7.3, §8.3):
 * the provider refuses a native app with an https one, and so could never sign anyone in to it.
 */
export function assertNativeAppUri(uri: string, field: string): void {
  const url = new URL(uri);
  if (url.protocol === 'https:' && LOOPBACK.has(url.hostname)) {
    throw badRequest('invalid_uri', `${field}: '${uri}' is https on a loopback host, which a native app (one with a private-use-scheme redirect URI) may not use: use http://127.0.0.1/… (any port).`);
  }
}

/**
 * The app's metadata as oidc-provider expects it; `client_secret` holds the SHA-256 of the secret.
 * An app with a private-use-scheme redirect URI is a native app (RFC 8252): the provider accepts
 * that scheme only then, and matches its loopback redirect URIs on any port (§7.3).
 */
export function clientMetadata(a: AppWithSecret): Record<string, unknown> {
  const interactive = a.grant_types.includes('authorization_code');
  const native = isNativeApp(a.redirect_uris);
  return {
    client_id: a.id,
    client_name: a.name,
    application_type: native ? 'native' : 'web',
    ...(a.secret_hash ? { client_secret: a.secret_hash } : {}),
    token_endpoint_auth_method: a.token_endpoint_auth_method,
    grant_types: a.grant_types,
    response_types: interactive ? ['code'] : [],
    redirect_uris: interactive ? a.redirect_uris : [],
    post_logout_redirect_uris: a.post_logout_redirect_uris,
    ...(a.backchannel_logout_uri
      ? { backchannel_logout_uri: a.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    require_auth_time: true,
    id_token_signed_response_alg: 'ES256',
    scope: [...(interactive ? ['openid', 'email', 'profile', 'groups', 'offline_access'] : []), ...a.authz_scopes].join(' '),
  };
}
