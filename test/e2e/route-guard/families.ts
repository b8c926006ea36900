import type { Config } from '../../../src/config/schema.ts';
import { SCIM_LIMITS } from '../../../src/directory/scim/limits.ts';
import { ERROR_SCHEMA } from '../../../src/directory/scim/schema/urns.ts';
import type { Fixture, GuardClient } from './fixture.ts';

/** Which credential a route takes: API keys under /admin/v1, SCIM tokens under /scim/v2, API keys or client-credentials tokens under /stores. */
export type Family = 'admin' | 'scim' | 'authz';

/** A refusal as the surface spells it: the status and the surface's stable code (null: the surface defines none for it). */
export interface Refusal {
  status: number;
  code: string | null;
}

/**
 * One credential family's contract: where it is mounted, its error shape and stable codes, its
 * body limit. Every route of the family is held to it unless its own entry says otherwise.
 */
export interface FamilyContract {
  prefix: string;
  /** The stable code in an error body, after checking the body has the surface's error shape. */
  codeOf(body: any, status: number): string | null;
  unauthenticated: Refusal;
  /** Another tenant's credential: the surface answers as if the thing did not exist. */
  foreign: Refusal;
  malformedJson: Refusal;
  /** A body sent as something other than JSON. */
  wrongMediaType: Refusal;
  tooLarge: Refusal;
  /**
   * Other tenants' (or directories') credentials with the path parameters that make the path
   * their own: the route is then called with this tenant's ids under their own tenant.
   */
  ownPaths(f: Fixture): Record<string, { key: string; params: Record<string, string> }>;
  /** The owner tenant's credential without the scopes the family's routes take (SCIM tokens carry no scopes). */
  insufficientScope?: Refusal & { credential(f: Fixture): string };
  /** The tenant's own credentials once the tenant is suspended. */
  suspended: Refusal;
  bodyLimit(config: Config): number;
  owner(f: Fixture): string;
  /** Every kind of credential the tenant itself holds for this surface, by name. */
  ownerCredentials(f: Fixture): Record<string, string>;
  /** Other tenants' valid credentials (and other directories' tokens), by name. */
  foreignCredentials(f: Fixture): Record<string, string>;
  /** Credentials that must answer exactly like no credential at all, by name. */
  invalidCredentials(f: Fixture): Record<string, string>;
}

/** The same credential id with another secret of the same length. */
const wrongSecret = (credential: string): string => `${credential.slice(0, -6)}${credential.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;

/** The token with its payload's last character changed: the signature no longer matches. */
const forged = (jwt: string): string => {
  const [h, p, sig] = jwt.split('.') as [string, string, string];
  return `${h}.${p.slice(0, -1)}${p.endsWith('A') ? 'B' : 'A'}.${sig}`;
};

const jsonCode = (shape: 'admin' | 'openfga') => (body: any): string | null => {
  const keys = Object.keys(body ?? {}).sort();
  const expected = shape === 'admin' ? ['code', 'message', 'request_id'] : ['code', 'message'];
  if (JSON.stringify(keys.filter((k) => k !== 'details')) !== JSON.stringify(expected)) return `<not an error body: ${JSON.stringify(body)}>`;
  return body.code;
};

export const FAMILIES: Record<Family, FamilyContract> = {
  admin: {
    prefix: '/admin/v1/',
    codeOf: jsonCode('admin'),
    unauthenticated: { status: 401, code: 'unauthenticated' },
    foreign: { status: 404, code: 'not_found' },
    malformedJson: { status: 400, code: 'malformed_json' },
    wrongMediaType: { status: 415, code: 'unsupported_media_type' },
    ownPaths: (f) => ({ "another tenant's key": { key: f.api.foreign, params: { tenant: f.b.id } } }),
    tooLarge: { status: 413, code: 'payload_too_large' },
    insufficientScope: { status: 403, code: 'insufficient_scope', credential: (f) => f.api.withoutAdmin },
    suspended: { status: 403, code: 'tenant_suspended' },
    bodyLimit: (c) => c.bodyLimitBytes,
    owner: (f) => f.api.owner,
    ownerCredentials: (f) => ({ "the tenant's key": f.api.owner }),
    foreignCredentials: (f) => ({ "another tenant's key": f.api.foreign }),
    invalidCredentials: (f) => ({
      "a live key's id with a wrong secret": wrongSecret(f.api.owner),
      ...f.api.revoked,
      'a SCIM token': f.crossFamily.api,
      ...(f.tokens ? { 'a client-credentials access token (authz API only)': f.tokens.owner } : {}),
    }),
  },
  authz: {
    prefix: '/stores/',
    codeOf: jsonCode('openfga'),
    unauthenticated: { status: 401, code: 'unauthenticated' },
    // OpenFGA's own answer for a store that does not exist (the SDKs know it).
    foreign: { status: 404, code: 'store_id_not_found' },
    malformedJson: { status: 400, code: 'validation_error' },
    wrongMediaType: { status: 415, code: 'validation_error' },
    ownPaths: (f) => ({ "another tenant's key": { key: f.api.foreign, params: { store_id: f.b.store } } }),
    tooLarge: { status: 413, code: 'payload_too_large' },
    insufficientScope: { status: 403, code: 'forbidden', credential: (f) => f.api.withoutAuthz },
    suspended: { status: 403, code: 'forbidden' },
    bodyLimit: (c) => c.bodyLimitBytes,
    owner: (f) => f.api.owner,
    ownerCredentials: (f) => ({ "the tenant's key": f.api.owner, ...(f.tokens ? { "the tenant's app access token": f.tokens.owner } : {}) }),
    foreignCredentials: (f) => ({ "another tenant's key": f.api.foreign, ...(f.tokens ? { "another tenant's app access token": f.tokens.foreign } : {}) }),
    invalidCredentials: (f) => ({
      "a live key's id with a wrong secret": wrongSecret(f.api.owner),
      ...f.api.revoked,
      'a SCIM token': f.crossFamily.api,
      ...(f.tokens ? { "a deleted app's access token": f.tokens.deletedApp, 'an access token with a forged signature': forged(f.tokens.owner) } : {}),
    }),
  },
  scim: {
    prefix: '/scim/v2/',
    // RFC 7644 §3.12: the error schema, status as a string, scimType where the RFC defines one.
    codeOf: (body: any, status: number) => {
      if (body?.schemas?.[0] !== ERROR_SCHEMA || body.status !== String(status) || typeof body.detail !== 'string') return `<not a SCIM error: ${JSON.stringify(body)}>`;
      return body.scimType ?? null;
    },
    unauthenticated: { status: 401, code: null },
    foreign: { status: 404, code: null },
    malformedJson: { status: 400, code: 'invalidSyntax' },
    wrongMediaType: { status: 415, code: null },
    ownPaths: (f) => ({
      "another tenant's token": { key: f.scim.foreign, params: { directory: f.b.directory } },
      "another directory's token of the same tenant": { key: f.scim.otherDirectory, params: { directory: f.victims.directory } },
    }),
    tooLarge: { status: 413, code: null },
    suspended: { status: 403, code: null },
    bodyLimit: () => SCIM_LIMITS.maxPayloadSize,
    owner: (f) => f.scim.owner,
    ownerCredentials: (f) => ({ "the directory's token": f.scim.owner }),
    foreignCredentials: (f) => ({ "another tenant's token": f.scim.foreign, "another directory's token of the same tenant": f.scim.otherDirectory }),
    invalidCredentials: (f) => ({
      "a live token's id with a wrong secret": wrongSecret(f.scim.owner),
      ...f.scim.revoked,
      'an API key': f.crossFamily.scim,
      ...(f.tokens ? { 'a client-credentials access token': f.tokens.owner } : {}),
    }),
  },
};

/** One credential-protected route: how to call it with real ids, and where it departs from its family's contract. */
export interface GuardedRoute {
  family: Family;
  /** A body the owner's request succeeds with. Every case sends it, so no refusal can come from validation. */
  body?: (f: Fixture) => unknown;
  /** Path parameters other than the fixture's defaults (DELETE routes name a spare). */
  params?: (f: Fixture) => Record<string, string>;
  /** Only a platform key may call it; the positive control uses the platform key. */
  platformOnly?: true;
  /** Where another tenant's credential does not get the family's 404: what it gets instead and why. */
  foreign?: Refusal & { why: string; hides?: (f: Fixture) => string[] };
  /** Where the family's scope case does not apply as is: the refusal, why, and (platform-only routes) which tenant credential gets it. */
  scope?: Refusal & { why: string; credential?: (f: Fixture) => string };
  /** The status the rightful credential gets (the positive control proves the ids are real). */
  ok: number;
  /** When `ok` is a refusal of the handler itself (the fixture cannot make it succeed): its code, proving the ids resolved. */
  okCode?: string;
  /** Brings the fixture into the state the positive control needs (it runs after every refusal case). */
  prepare?: (h: GuardClient, f: Fixture) => Promise<void>;
  /** Why a served route is not in /openapi.json. */
  undocumented?: string;
}

/** The family a route belongs to by its mount point. */
export function familyOf(route: string): Family | undefined {
  const path = route.slice(route.indexOf(' ') + 1);
  return (Object.keys(FAMILIES) as Family[]).find((f) => path.startsWith(FAMILIES[f].prefix) || path === FAMILIES[f].prefix.replace(/\/$/, ''));
}
