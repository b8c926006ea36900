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
    expect(mapIdentity('oidc', 'generic', {}, { email: 'a@b.test' }, extra)).toMatchObject({ ok: false, reason: 'missing_external_id' });
    const r = mapIdentity('oidc', 'generic', {}, { sub: 's', email: 'not an email' }, extra);
    expect(r.ok && r.identity.email).toBe(null);
  });

  it('reads non-string claim values safely: numbers as text, other types as absent', () => {
    const r = mapIdentity('oidc', 'generic', {}, { sub: 12345, email: true, name: { first: 'x' }, given_name: ['Ada', 'Augusta'], groups: ['Admins', 7, null, ''] }, extra);
    expect(r).toMatchObject({ ok: true, identity: { external_id: '12345', email: null, name: null, given_name: 'Ada', groups: ['Admins'] } });
  });

  it('composes a decomposed (NFD) email into NFC before lower-casing it', () => {
    const r = mapIdentity('oidc', 'generic', {}, { sub: 's', email: 'Jose\u0301@Example.test' }, extra);
    expect(r.ok && r.identity.email).toBe('jos\u00e9@example.test');
  });

  it('never takes a transient NameID as the external id, but still reads an attribute mapped to it', () => {
    const transient = { ...extra, nameId: '_t1', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' };
    expect(mapIdentity('saml', 'okta', {}, { email: 'a@b.test' }, transient)).toMatchObject({ ok: false, reason: 'missing_external_id', detail: expect.stringMatching(/transient/) });
    expect(mapIdentity('saml', 'okta', { external_id: 'uid' }, { uid: 'u-1' }, transient)).toMatchObject({ ok: true, identity: { external_id: 'u-1' } });
  });

  it("flags Entra ID's groups overage only when the groups claim itself is absent", () => {
    const link = { 'http://schemas.microsoft.com/claims/groups.link': 'https://graph.windows.net/t/users/u/getMemberObjects' };
    const oid = { 'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-1' };
    const overage = mapIdentity('saml', 'entra', {}, { ...oid, ...link }, { ...extra, nameId: 'n' });
    expect(overage).toMatchObject({ ok: true, identity: { groups: [], groups_overage: true } });
    const both = mapIdentity('saml', 'entra', {}, { ...oid, ...link, 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': 'g-1' }, { ...extra, nameId: 'n' });
    expect(both).toMatchObject({ ok: true, identity: { groups: ['g-1'], groups_overage: false } });
    expect(mapIdentity('oidc', 'entra', {}, { oid: 'o', _claim_names: { groups: 'src1' } }, extra)).toMatchObject({ ok: true, identity: { groups_overage: true } });
    expect(mapIdentity('oidc', 'entra', {}, { oid: 'o', _claim_names: { roles: 'src1' } }, extra)).toMatchObject({ ok: true, identity: { groups_overage: false } });
  });

  it('says why an email the IdP sent is not used: said unverified, or not a usable address', () => {
    const oidc = (received: Record<string, unknown>) => mapIdentity('oidc', 'generic', {}, { sub: 's', ...received }, extra);
    expect(oidc({ email: 'a@b.test', email_verified: false })).toMatchObject({ ok: true, identity: { email: null, email_unused: expect.stringContaining('not verified (email_verified: false)') } });
    expect(oidc({ email: 'a\u200e@b.test' })).toMatchObject({ ok: true, identity: { email: null, email_unused: expect.stringContaining('invisible characters') } });
    expect(oidc({ email_verified: false })).toMatchObject({ ok: true, identity: { email: null } });
    expect(oidc({ email_verified: false }).ok && 'email_unused' in (oidc({ email_verified: false }) as { identity: object }).identity).toBe(false);
    expect('email_unused' in (oidc({ email: 'a@b.test' }) as { identity: object }).identity).toBe(false);
  });

  it('refuses values longer than the directory accepts, never cutting them (a cut id or email could be someone else\'s)', () => {
    const ok = (received: Record<string, unknown>) => mapIdentity('oidc', 'generic', {}, { sub: 's', ...received }, extra);
    expect(ok({ sub: 'x'.repeat(512), email: `${'a'.repeat(240)}@example.test`, name: 'n'.repeat(256), groups: Array.from({ length: 2000 }, (_, i) => `g${i}`) }).ok).toBe(true);
    for (const [received, attr] of [
      [{ sub: 'x'.repeat(513) }, 'external_id'],
      [{ email: `${'a'.repeat(250)}@example.test` }, 'email'],
      [{ given_name: 'g'.repeat(257) }, 'given_name'],
      [{ name: 'n'.repeat(257) }, 'name'],
      [{ groups: ['x'.repeat(501)] }, 'groups'],
      [{ groups: Array.from({ length: 2001 }, (_, i) => `g${i}`) }, 'groups'],
    ] as const) {
      expect([attr, ok(received)]).toEqual([attr, { ok: false, reason: 'idp_value_too_long', detail: expect.stringContaining(attr) }]);
    }
  });
});
