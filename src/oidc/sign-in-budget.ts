import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { ClientBudget, clientBudget } from '../http/client-budget.ts';
import type { RequestCostMeter } from '../http/request-cost.ts';
import type { Metrics } from '../observability/metrics.ts';
import { escapeHtml, page } from './pages.ts';

/** What every request counts at least (ms) against its address's budget, however little it took. */
export const MIN_REQUEST_COST_MS = 1;

/** The per-address budgets of handler time on the unauthenticated sign-in surfaces (`undefined`: switched off). */
export interface SignInBudgets {
  /** Browsers and IdPs: `/sso/*`, `/oidc/auth`, `/oidc/interaction/*`, logout, anything else under `/oidc`. */
  signIn: ClientBudget | undefined;
  /** The provider endpoints apps call from their servers (`APP_ENDPOINTS`). */
  apps: ClientBudget | undefined;
}

export function buildSignInBudgets(config: Config, clock: Clock, meter: RequestCostMeter): SignInBudgets {
  const budget = (realm: string, msPerSecond: number, burstMs: number) =>
    msPerSecond > 0 ? new ClientBudget(realm, { msPerSecond, burstMs, requestMs: MIN_REQUEST_COST_MS }, clock, meter) : undefined;
  return {
    signIn: budget('portcullis-sso', config.signInBudgetMsPerSecond, config.signInBudgetBurstMs),
    apps: budget('portcullis-oidc', config.oidcAppBudgetMsPerSecond, config.oidcAppBudgetBurstMs),
  };
}

/** Public keys and discovery: cheap, cached, fetched by every app and resource server. */
const UNBUDGETED = /^\/oidc\/(jwks\/?$|\.well-known\/)/i;
/** Token, introspection, revocation, userinfo, pushed authorization requests: OAuth JSON callers. Both lists ignore case, as the provider's router does. */
const APP_ENDPOINTS = /^\/oidc\/(token|token\/introspection|token\/revocation|me|request)\/?$/i;

/**
 * Charges requests under `/sso` and `/oidc` to their client address's budget (src/http/client-budget.ts).
 * A refused page request gets a sign-in error page, an app endpoint OAuth's JSON error; both
 * 429 with `Retry-After`. Nothing else happens for a refused request: no audit event, no row.
 */
export function signInBudget(budgets: SignInBudgets, metrics: Metrics): MiddlewareHandler {
  return clientBudget({
    metrics,
    budgetFor: (c) => (UNBUDGETED.test(c.req.path) ? undefined : APP_ENDPOINTS.test(c.req.path) ? budgets.apps : budgets.signIn),
    refuse: (c, seconds) => (APP_ENDPOINTS.test(c.req.path) ? oauthRefusal(c, seconds) : pageRefusal(c, seconds)),
  });
}

function pageRefusal(c: Context, seconds: number): Response {
  const body = page(
    'Too many requests',
    `<p class="error">Too many sign-in requests came from your network. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.</p><p>Reference: <code>${escapeHtml(c.get('requestId'))}</code></p>`,
  );
  return c.html(body, 429, { 'Retry-After': String(seconds), 'Cache-Control': 'no-store' });
}

/** RFC 6749 names no rate-limit error; `temporarily_unavailable` is its code for an overloaded server. */
function oauthRefusal(c: Context, seconds: number): Response {
  return c.json(
    { error: 'temporarily_unavailable', error_description: `Too many requests from this address; retry after ${seconds} seconds.` },
    429,
    { 'Retry-After': String(seconds), 'Cache-Control': 'no-store' },
  );
}
