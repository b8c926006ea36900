import { describe, expect, it } from 'vitest';
import { mapIdentity } from './identity.ts';

const extra = { amr: ['pwd'], acr: 'x' };

describe('attribute mapping', () => {
  it("maps Okta's SAML attribute statements with the okta preset", () => {
    const r = mapIdentity('saml', 'okta', {}, { email: 'Ada@Lovelace.test', firstName: 'Ada', lastName: 'Lovelace', groups: ['Everyone', 'Eng'] }, { ...extra, nameId: '00u1ada' });
    expect(r).toMatchObject({ ok: true, identity: { external_id: '00u1ada', email: 'ada@lovelace.test', given_name: 'Ada', family_name: 'Lovelace', groups: ['Everyone', 'Eng'] } });
  });

  it("maps Entra ID's claim URIs with the entra preset (object id as the external id)", () => {
    const r = mapIdentity(
      'saml',
      'entra',
      {},
      {
        'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-1',
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'grace@hopper.test',
        'http://schemas.microsoft.com/identity/claims/displayname': 'Grace Hopper',
        'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': 'g-1',
      },
      { ...extra, nameId: 'grace@hopper.test' },
    );
    expect(r).toMatchObject({ ok: true, identity: { external_id: 'oid-1', email: 'grace@hopper.test', name: 'Grace Hopper', groups: ['g-1'] } });
  });

  it('lets a connection override one attribute and falls back to common names', () => {
    const r = mapIdentity('oidc', 'generic', { external_id: 'employee_id' }, { employee_id: 'E42', sub: 's', mail: 'x@y.test' }, extra);
    expect(r).toMatchObject({ ok: true, identity: { external_id: 'E42', email: 'x@y.test' } });
  });

  it('refuses an identity without an external id and drops malformed emails', () => {
    expect(mapIdentity('oidc', 'generic', {}, { email: 'a@b.test' }, extra)).toEqual({ ok: false, reason: 'missing_external_id' });
    const r = mapIdentity('oidc', 'generic', {}, { sub: 's', email: 'not an email' }, extra);
    expect(r.ok && r.identity.email).toBe(null);
  });
});
