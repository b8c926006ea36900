import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { PATCH_OP } from '../schema/urns.ts';

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const q = (filter: string) => encodeURIComponent(filter);

// "José" spelled twice: é as one code point (NFC, what IdPs and browsers send at sign-in) and as
// e + combining acute accent (NFD, what a macOS-sourced directory may push).
const NFC = 'jos\u00e9@acme.test';
const NFD = 'jose\u0301@acme.test';

describe('SCIM userName and emails in Unicode NFC', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  it('stores an NFD email pushed by SCIM in NFC, so the email lookup SSO links with finds it by the NFC form', async () => {
    expect(NFD).not.toBe(NFC);
    const created = await s.call('POST', '/Users', { userName: 'jose', emails: [{ value: NFD, type: 'work', primary: true }] });
    expect(created.status).toBe(201);
    expect(created.body.emails[0].value).toBe(NFC);
    const found = h.services.directory.findUserByEmail(s.tenantId, NFC);
    expect(found).toMatchObject({ id: created.body.id, email: NFC });
    expect(h.services.directory.findUserByEmail(s.tenantId, NFD)?.id).toBe(created.body.id);
  });

  it('normalises userName too: the NFD and NFC spellings are one user (409 uniqueness), and filters in either form find it', async () => {
    const created = await s.call('POST', '/Users', { userName: NFD, emails: [{ value: NFD, type: 'work' }] });
    expect(created.body.userName).toBe(NFC);
    const dup = await s.call('POST', '/Users', { userName: NFC });
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe('uniqueness');
    for (const filter of [`userName eq "${NFD}"`, `userName eq "${NFC}"`, `emails[type eq "work"].value eq "${NFD}"`, `emails eq "${NFD}"`, `emails.value sw "jose\u0301"`]) {
      const r = await s.call('GET', `/Users?filter=${q(filter)}`);
      expect(r.body.totalResults, filter).toBe(1);
    }
  });

  it('normalises emails written by PUT and PATCH, and matches PATCH value filters and duplicates in either form', async () => {
    const id = (await s.call('POST', '/Users', { userName: 'jose' })).body.id;
    const put = await s.call('PUT', `/Users/${id}`, { userName: 'jose', emails: [{ value: NFD, type: 'home' }] });
    expect(put.body.emails).toEqual([{ value: NFC, type: 'home' }]);
    const replaced = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: `w.${NFD}` }));
    expect(replaced.body.emails).toEqual([{ value: NFC, type: 'home' }, { value: `w.${NFC}`, type: 'work' }]);
    const added = await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'emails', value: [{ value: NFD, type: 'home' }] }));
    expect(added.body.emails).toHaveLength(2);
    const primary = await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: `emails[value eq "${NFD}"].primary`, value: true }));
    expect(primary.status, JSON.stringify(primary.body)).toBe(200);
    expect(primary.body.emails[0]).toEqual({ value: NFC, type: 'home', primary: true });
  });
});
