import { describe, expect, it } from 'vitest';
import { mapIdentity } from '../../../src/sso/identity.ts';

const extra = { amr: ['pwd'], acr: 'x' };

/**
 * An upstream IdP's claims reach the mapping through JSON.parse (openid-client decodes the ID
 * token and userinfo so). A number beyond 2^53 has already lost its last digits there: two
 * people whose numeric ids differ only in those digits would get one external id, and the second
 * would be signed in as the first. Such a value must not be taken as an id.
 */
describe('a numeric claim used as the external id', () => {
  const claims = (json: string) => JSON.parse(json) as Record<string, unknown>;
  const map = (json: string) => mapIdentity('oidc', 'generic', { external_id: 'employee_id' }, claims(json), extra);

  it('never gives two different numeric ids the same external id (beyond 2^53 the digits are gone)', () => {
    const a = map('{"sub":"s-1","employee_id":9007199254740993}');
    const b = map('{"sub":"s-2","employee_id":9007199254740992}');
    const ids = [a, b].map((r) => (r.ok ? r.identity.external_id : null));
    expect(ids[0] === null || ids[0] !== ids[1]).toBe(true);
    expect(a).toMatchObject({ ok: false, reason: 'missing_external_id', detail: expect.stringMatching(/number too large/) });
  });

  it('still reads a numeric id that JSON keeps exactly as text', () => {
    expect(map('{"sub":"s-3","employee_id":9007199254740991}')).toMatchObject({ ok: true, identity: { external_id: '9007199254740991' } });
    expect(map('{"sub":"s-4","employee_id":42}')).toMatchObject({ ok: true, identity: { external_id: '42' } });
  });
});
