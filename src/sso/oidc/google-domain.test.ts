import { describe, expect, it } from 'vitest';
import { checkGoogleDomain, UpstreamOidcError } from './upstream.ts';

const connection = (issuer: string, allowed_google_domains: string[]) => ({ oidc: { issuer, allowed_google_domains } }) as Parameters<typeof checkGoogleDomain>[0];
const reasonOf = (f: () => void) => {
  try {
    f();
    return 'admitted';
  } catch (err) {
    return err instanceof UpstreamOidcError ? `${err.reason}: ${err.message}` : String(err);
  }
};

describe('the Google Workspace domain check at sign-in', () => {
  it("admits nobody through Google's issuer when the connection lists no domain (saved before the rule)", () => {
    expect(reasonOf(() => checkGoogleDomain(connection('https://accounts.google.com', []), { hd: 'acme.com' }))).toMatch(/^oidc_hosted_domain_not_allowed: the connection lists no allowed Google Workspace domains/);
  });

  it('admits a listed hd (any letter case), and leaves other IdPs without a list alone', () => {
    expect(reasonOf(() => checkGoogleDomain(connection('https://accounts.google.com', ['acme.com']), { hd: 'ACME.com' }))).toBe('admitted');
    expect(reasonOf(() => checkGoogleDomain(connection('https://acme.okta.com', []), {}))).toBe('admitted');
  });

  it('refuses another hd, no hd, and a non-string hd', () => {
    const c = connection('https://accounts.google.com', ['acme.com']);
    expect(reasonOf(() => checkGoogleDomain(c, { hd: 'evil.com' }))).toMatch(/evil\.com is not allowed/);
    expect(reasonOf(() => checkGoogleDomain(c, {}))).toMatch(/no hd claim/);
    expect(reasonOf(() => checkGoogleDomain(c, { hd: ['acme.com'] }))).toMatch(/no hd claim/);
  });
});
