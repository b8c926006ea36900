import { Hono, type Context } from 'hono';
import { actorFrom } from '../http/actor.ts';
import { bodyLimit } from '../http/body-limit.ts';
import { notFound } from '../http/errors.ts';
import { errorPage, testResultPage } from '../oidc/pages.ts';
import type { SecretBox } from '../oidc/keys/key-encryption.ts';
import type { ConnectionService } from './connections/service.ts';
import { GENERIC_LOGIN_FAILURE } from './login/failures.ts';
import type { LoginOutcome, LoginService } from './login/service.ts';
import { samlContext, spMetadataXml } from './saml/service-provider.ts';
import { idpLoginCookie } from './idp-login-cookie.ts';
import { overBudget, timedCost } from '../http/request-cost.ts';

export interface SsoRouteDeps {
  login: LoginService;
  connections: ConnectionService;
  box: SecretBox;
  baseUrl: string;
  bodyLimitBytes: number;
}

/** The IdP-facing endpoints: SAML SP metadata and ACS, the upstream OIDC callback. */
export function ssoRoutes(d: SsoRouteDeps) {
  const app = new Hono();

  app.get('/sso/saml/:connection/metadata', (c) => {
    const id = c.req.param('connection');
    const tenantId = d.connections.lookup.tenantOf(id);
    const connection = tenantId ? d.connections.get(tenantId, id) : undefined;
    if (!connection?.saml) throw notFound('connection');
    return c.body(spMetadataXml(samlContext(connection, d.baseUrl, d.box)), 200, { 'Content-Type': 'application/samlmetadata+xml' });
  });

  app.post('/sso/saml/:connection/acs', bodyLimit(d.bodyLimitBytes), async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    // Verifying a response is the one sign-in step a sender can make expensive: charged to its
    // address as it is done, and refused here to an address whose earlier posts (admitted with
    // this one) have spent its budget meanwhile.
    const refused = overBudget(c);
    if (refused) return refused;
    const outcome = await timedCost(c, (untimed) => d.login.samlAcs(c.req.param('connection'), form, userActor(c), untimed));
    return respond(c, outcome, d.baseUrl.startsWith('https:'));
  });

  app.get('/sso/oidc/:connection/callback', async (c) => {
    const url = new URL(c.req.url);
    const callbackUrl = new URL(`${d.baseUrl}${url.pathname}${url.search}`);
    const outcome = await d.login.oidcCallback(c.req.param('connection'), callbackUrl, userActor(c));
    return respond(c, outcome, d.baseUrl.startsWith('https:'));
  });

  return app;
}

function userActor(c: Context) {
  return { ...actorFrom(c), type: 'user' as const };
}

function respond(c: Context, outcome: LoginOutcome, secureCookies: boolean): Response {
  switch (outcome.kind) {
    case 'login':
      return c.redirect(`/oidc/interaction/${encodeURIComponent(outcome.interactionUid)}/complete?state=${encodeURIComponent(outcome.stateId)}`, 303);
    case 'idp_initiated':
      c.header('Set-Cookie', idpLoginCookie(outcome.stateId, secureCookies));
      return c.redirect(outcome.landing, 303);
    case 'test':
      return c.html(testResultPage({ ...outcome, mapped: outcome.mapped && { ...outcome.mapped, ...(outcome.link ? { link: outcome.link } : {}) } }), outcome.outcome === 'succeeded' ? 200 : 400);
    case 'failed':
      if (outcome.interactionUid) return c.redirect(`/oidc/interaction/${encodeURIComponent(outcome.interactionUid)}/failed`, 303);
      return c.html(errorPage(GENERIC_LOGIN_FAILURE, c.get('requestId')), 400);
  }
}
