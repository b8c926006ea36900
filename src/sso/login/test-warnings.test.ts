import { describe, expect, it } from 'vitest';
import type { Connection } from '../connections/connection.ts';
import { mapIdentity } from '../identity.ts';
import { mappingWarnings } from './test-warnings.ts';

const oidc = { protocol: 'oidc', attribute_preset: 'generic', attribute_mapping: {}, group_mappings: [] } as unknown as Connection;
const identityOf = (claims: Record<string, unknown>) => {
  const r = mapIdentity('oidc', 'generic', {}, claims, { amr: ['pwd'], acr: 'x' });
  if (!r.ok) throw new Error(r.detail);
  return r.identity;
};

describe("the test login's email warning", () => {
  it('names email_verified: false as the reason the person gets no email, not the address itself', () => {
    const [warning] = mappingWarnings(oidc, identityOf({ sub: 's1', email: 'ceo@acme.test', email_verified: false, name: 'C', given_name: 'C', family_name: 'E' }));
    expect(warning).toMatch(/^email: the IdP says the address is not verified \(email_verified: false\)/);
  });

  it('still says a malformed address is not an email address, and says nothing when the IdP verified it', () => {
    const base = { sub: 's1', name: 'C', given_name: 'C', family_name: 'E' };
    expect(mappingWarnings(oidc, identityOf({ ...base, email: 'not an address' }))).toEqual(["email: the value of 'email' is not an email address, so the person gets none."]);
    expect(mappingWarnings(oidc, identityOf({ ...base, email: 'ceo@acme.test', email_verified: true }))).toEqual([]);
  });
});
