import { OAuth2Server } from 'oauth2-mock-server';
import { freePort } from './sso-env.ts';

/**
 * An upstream OIDC IdP for tests (oauth2-mock-server): an RS256 key, listening on a free
 * loopback port, its issuer that address. `claims` are merged into every ID token it signs for
 * a sign-in (the tokens that carry a nonce).
 */
export async function startUpstreamIdp(claims: () => Record<string, unknown> = () => ({})): Promise<OAuth2Server> {
  const idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  const port = await freePort();
  await idp.start(port, '127.0.0.1');
  idp.issuer.url = `http://127.0.0.1:${port}`;
  idp.service.on('beforeTokenSigning', (token) => {
    if (token.payload.nonce !== undefined) Object.assign(token.payload, claims());
  });
  return idp;
}
