import { z } from 'zod';
import { DEFAULT_DECISION_CACHE_SIZE } from '../authz/embedded/decision-cache.ts';
import { bareHostName } from '../lib/host-name.ts';

/**
 * Every setting Portcullis reads, in one place. Each entry names the environment variable,
 * its schema (with the default) and a description; the README's configuration reference is
 * generated from this table and a test keeps the two in step.
 */
/** A comma-separated list of bare host names or IP addresses (no ports), lower-cased. */
function privateHostList() {
  return z
    .string()
    .regex(/^\s*[A-Za-z0-9.:\-\[\]]+(\s*,\s*[A-Za-z0-9.:\-\[\]]+)*\s*$/, 'must be a comma-separated list of host names or IP addresses')
    .transform((v, ctx) => {
      const hosts = v.split(',').map(bareHostName);
      if (hosts.every((h) => h !== undefined)) return hosts;
      ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of host names or IP addresses, without ports' });
      return z.NEVER;
    })
    .optional();
}

/**
 * The public origin, written the one way the OpenID Provider writes its endpoint URLs (lower-case
 * scheme and host, no default port): the issuer `{origin}/oidc` must be a prefix of them. A path,
 * query, fragment or credentials would give an issuer that none of its endpoints match.
 */
function publicOrigin(value: string, ctx: z.core.$RefinementCtx<string>): string {
  const url = new URL(value);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must be an origin (scheme, host and port), without path, query, fragment or credentials' });
    return z.NEVER;
  }
  return url.origin;
}

export const settings = {
  port: {
    env: 'PORTCULLIS_PORT',
    schema: z.coerce.number().int().min(0).max(65535).default(8080),
    description: 'TCP port the HTTP server listens on (0 picks a free port).',
  },
  host: {
    env: 'PORTCULLIS_HOST',
    schema: z.string().min(1).default('127.0.0.1'),
    description: 'Interface the HTTP server binds to.',
  },
  dataDir: {
    env: 'PORTCULLIS_DATA_DIR',
    schema: z.string().min(1).default('./data'),
    description: 'Directory holding the SQLite database and other state.',
  },
  baseUrl: {
    env: 'PORTCULLIS_BASE_URL',
    schema: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8080').transform(publicOrigin),
    description:
      'Public origin of the service; the OIDC issuer is `{BASE_URL}/oidc`. The OpenID Provider\'s endpoint URLs and cookies follow it whatever a request says: behind a TLS-terminating proxy, an https BASE_URL gives https endpoints and Secure cookies.',
  },
  logLevel: {
    env: 'PORTCULLIS_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    description: 'Minimum level of the JSON logs written to stdout.',
  },
  bodyLimitBytes: {
    env: 'PORTCULLIS_BODY_LIMIT_BYTES',
    schema: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    description: 'Largest request body accepted by the admin, SCIM and authorization APIs (413 above it).',
  },
  rateLimitBurst: {
    env: 'PORTCULLIS_RATE_LIMIT_BURST',
    schema: z.coerce.number().int().min(1).default(600),
    description: 'Token-bucket size per credential: requests allowed in a burst. Buckets live in each server process, so N processes on one data directory allow N times this.',
  },
  rateLimitPerSecond: {
    env: 'PORTCULLIS_RATE_LIMIT_PER_SECOND',
    schema: z.coerce.number().positive().default(300),
    description: 'Token-bucket refill rate per credential, in requests per second (per server process, like the burst).',
  },
  signInBudgetMsPerSecond: {
    env: 'PORTCULLIS_SIGNIN_BUDGET_MS_PER_SECOND',
    schema: z.coerce.number().min(0).default(250),
    description:
      'Sign-in routes for browsers and IdPs (`/sso/*` and `/oidc/*`, except the app endpoints below, the JWKS and discovery): the handler time, in ms per second, each client address earns. A request costs 1 ms, and a SAML ACS post also the time its verification and sign-in took (the one step a sender can make expensive: a padded response); an address that spent its budget gets 429 with `Retry-After` until it has earned the time back, so expensive requests (a padded SAML response) shut their sender out while ordinary sign-ins (a few ms each) pass. The address is the client IP (`PORTCULLIS_TRUST_PROXY` applied; IPv6 by /64). Per server process. 0 turns the limit off.',
  },
  signInBudgetBurstMs: {
    env: 'PORTCULLIS_SIGNIN_BUDGET_BURST_MS',
    schema: z.coerce.number().min(1).default(5000),
    description: 'The most handler time (ms) one address can have saved up for the sign-in routes, and the most one expensive request can leave it owing.',
  },
  oidcAppBudgetMsPerSecond: {
    env: 'PORTCULLIS_OIDC_APP_BUDGET_MS_PER_SECOND',
    schema: z.coerce.number().min(0).default(500),
    description:
      'The same per-address budget for the OpenID Provider endpoints apps call from their servers (`/oidc/token`, `/oidc/token/introspection`, `/oidc/token/revocation`, `/oidc/me`, `/oidc/request`), separate and larger because every code exchange and refresh of every tenant comes from the app\'s few server addresses. Refusals are OAuth JSON (`temporarily_unavailable`). 0 turns the limit off.',
  },
  oidcAppBudgetBurstMs: {
    env: 'PORTCULLIS_OIDC_APP_BUDGET_BURST_MS',
    schema: z.coerce.number().min(1).default(10_000),
    description: 'The most handler time (ms) one address can have saved up for the app endpoints, and the most it can owe.',
  },
  trustProxy: {
    env: 'PORTCULLIS_TRUST_PROXY',
    schema: z
      .string()
      .regex(/^(true|false|[0-9])$/, 'must be true, false or a number of proxies (0-9)')
      .default('false')
      .transform((v) => (v === 'true' ? 1 : v === 'false' ? 0 : Number(v))),
    description:
      'How many proxies you control stand in front (`true` = 1, `false` = 0): the client IP is the `X-Forwarded-For` entry that many from the right, the address your outermost proxy saw. Entries further left are whatever the client sent.',
  },
  backchannelPrivateHosts: {
    env: 'PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS',
    schema: privateHostList(),
    description:
      "Comma-separated host names or IP addresses (exact, as written in apps' `backchannel_logout_uri`) that back-channel logout may reach on a private network, such as apps in the same VPC. Every other host must resolve to a public address (SSRF protection).",
  },
  idpPrivateHosts: {
    env: 'PORTCULLIS_IDP_PRIVATE_HOSTS',
    schema: privateHostList(),
    description:
      "Comma-separated host names or IP addresses (exact, as written in connections' `oidc.issuer` and `saml.metadata_url`, and in the issuer's discovery document) of identity providers on a private network, such as an on-premises AD FS or Keycloak. Every other IdP host must resolve to a public address (SSRF protection: tenant admins name these URLs).",
  },
  shutdownTimeoutMs: {
    env: 'PORTCULLIS_SHUTDOWN_TIMEOUT_MS',
    // Node timers hold at most 2^31-1 ms; a longer delay fires after 1 ms.
    schema: z.coerce.number().int().min(0).max(2_147_483_647).default(10_000),
    description: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits, and then how long back-channel logout tokens still being sent (after the request that ended the sessions returned) and a tuple change on its way to a remote OpenFGA server may take.',
  },
  migrationLockTimeoutMs: {
    env: 'PORTCULLIS_MIGRATION_LOCK_TIMEOUT_MS',
    schema: z.coerce.number().int().min(0).default(120_000),
    description:
      'At start (and in `portcullis migrate`), how long to wait for another process that holds the database write lock, such as a replica running a long migration, before giving up. Ordinary requests keep a 5 s busy timeout.',
  },
  oidcKeyEncryptionKey: {
    env: 'PORTCULLIS_OIDC_KEK',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'must be 32 bytes, base64 or base64url')
      .optional(),
    description:
      'Key-encryption key (32 bytes, base64) sealing the OIDC signing keys and SSO secrets at rest, and (derived) the authorization API continuation tokens. ' +
      'When unset, `{DATA_DIR}/oidc-kek` is created on first start with mode 0600 and used.',
  },
  samlSha1: {
    env: 'PORTCULLIS_SAML_SHA1',
    schema: z.enum(['per_connection', 'refuse']).default('per_connection'),
    description:
      "SAML signatures made with SHA-1: `per_connection` (each connection's `saml.allow_sha1_signatures`, false for new ones) or `refuse` (refused on every connection, whatever it says; `allow_sha1_signatures: true` is then refused by the admin API).",
  },
  samlMetadataRefreshMinutes: {
    env: 'PORTCULLIS_SAML_METADATA_REFRESH_MINUTES',
    schema: z.coerce.number().int().min(0).max(7 * 24 * 60).default(720),
    description: 'How often SAML connections imported from a metadata URL re-fetch it (0 turns the schedule off).',
  },
  authz: {
    env: 'PORTCULLIS_AUTHZ',
    schema: z.enum(['embedded', 'openfga']).default('embedded'),
    description:
      'Authorization backend: `embedded` (tuples in Portcullis\' SQLite) or `openfga` (a real OpenFGA server at `PORTCULLIS_OPENFGA_URL`, one OpenFGA store per tenant).',
  },
  authzMaxConditionCost: {
    env: 'PORTCULLIS_AUTHZ_MAX_CONDITION_COST',
    schema: z.coerce.number().int().min(100).max(Number.MAX_SAFE_INTEGER).default(100),
    description:
      'Embedded engine: the largest CEL cost one condition evaluation may reach, counted as OpenFGA counts it (its `--max-condition-evaluation-cost`, 100 by default and at least 100); a costlier evaluation fails the query with 400 `validation_error`. With `PORTCULLIS_AUTHZ=openfga` the server\'s own flag applies.',
  },
  authzDecisionCacheSize: {
    env: 'PORTCULLIS_AUTHZ_DECISION_CACHE_SIZE',
    schema: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_DECISION_CACHE_SIZE),
    description:
      'Embedded engine: how many answers of plain Checks (no contextual tuples, no context) are kept in memory. Exact, not a time-to-live: any write to the database, by this process or another, empties the cache before the next Check answers. 0 turns it off.',
  },
  authzPurgeBatchSize: {
    env: 'PORTCULLIS_AUTHZ_PURGE_BATCH_SIZE',
    schema: z.coerce.number().int().min(1).max(100_000).default(5_000),
    description:
      "Embedded engine: rows of a deleted tenant's authorization store (tuples, changelog, assertions, models) deleted per write transaction by the housekeeping, so purging a large store never holds the write lock for long.",
  },
  authzPurgeBatchesPerPass: {
    env: 'PORTCULLIS_AUTHZ_PURGE_BATCHES_PER_PASS',
    schema: z.coerce.number().int().min(1).max(10_000).default(40),
    description:
      "How many of those batches one housekeeping pass (every minute) runs across deleted tenants' stores; with `PORTCULLIS_AUTHZ=openfga`, how many stores it asks the server to delete.",
  },
  openfgaUrl: {
    env: 'PORTCULLIS_OPENFGA_URL',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')).optional(),
    description: 'Base URL of the OpenFGA HTTP API (e.g. `http://127.0.0.1:8080`); required when `PORTCULLIS_AUTHZ=openfga`.',
  },
  openfgaToken: {
    env: 'PORTCULLIS_OPENFGA_TOKEN',
    schema: z.string().min(1).optional(),
    description: 'Pre-shared key sent as `Authorization: Bearer` to the OpenFGA server (its `--authn-preshared-keys`).',
  },
  openfgaListDeadlineMs: {
    env: 'PORTCULLIS_OPENFGA_LIST_DEADLINE_MS',
    schema: z.coerce.number().int().min(0).default(3000),
    description:
      'The OpenFGA server\'s `--listObjects-deadline` / `--listUsers-deadline` in ms: a list call that lasts this long may have been cut, so its answer is marked truncated (0: the server has no deadline).',
  },
  openfgaListUsersMaxResults: {
    env: 'PORTCULLIS_OPENFGA_LIST_USERS_MAX_RESULTS',
    schema: z.coerce.number().int().min(0).default(1000),
    description:
      'The OpenFGA server\'s `--listUsers-max-results`: a list-users answer this long is marked truncated (0: the server has no maximum).',
  },
  openfgaConsistencyWindowMs: {
    env: 'PORTCULLIS_OPENFGA_CONSISTENCY_WINDOW_MS',
    schema: z.coerce.number().int().min(0).default(10_000),
    description:
      'After Portcullis writes to a store, queries on it that did not ask for a consistency use `HIGHER_CONSISTENCY` for this long (cover the server\'s check-cache TTL).',
  },
} as const;

export type SettingKey = keyof typeof settings;
export type Config = Readonly<{ [K in SettingKey]: z.output<(typeof settings)[K]['schema']> }>;
