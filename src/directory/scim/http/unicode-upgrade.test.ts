import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { loadConfig } from '../../../config/load.ts';
import { buildServices, type Services } from '../../../services.ts';
import { createApp } from '../../../app.ts';
import { emptyUserFields } from '../../user.ts';

const NFC = 'jos\u00e9@acme.test';
const NFD = 'jose\u0301@acme.test';
const q = (filter: string) => encodeURIComponent(filter);

/**
 * A database written before userName and emails were stored in NFC holds them as the IdP sent
 * them. Lookups now read filter values and sign-in emails in NFC, so after the upgrade those
 * stored values must be NFC too, or the IdP no longer finds its user and creates it again.
 */
describe('SCIM users stored in NFD by a version before NFC normalisation', () => {
  let h: Harness;
  let s: ScimClient;
  let upgraded: Services | undefined;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(async () => {
    await upgraded?.close();
    upgraded = undefined;
    await h.close();
  });

  /** The user as the previous version stored it, then the same data dir started by this version. */
  function upgradeWithLegacyUser() {
    const at = h.clock.now().toISOString();
    h.services.storage.forTenant(s.tenantId).directoryUsers.insert({
      ...emptyUserFields(NFD),
      emails: [{ value: NFD, type: 'work', display: null, primary: true }],
      id: 'usr_legacy',
      directory_id: s.directoryId,
      version: 1,
      created_at: at,
      updated_at: at,
    });
    h.services.storage.sql.raw.prepare(`DELETE FROM schema_migrations WHERE name = 'directory_unicode_nfc'`).run();
    upgraded = buildServices(loadConfig({}, { dataDir: h.dir, logLevel: 'info' }), { clock: h.clock, logDestination: h.logs });
    const app = createApp(upgraded);
    return async (method: string, path: string, body?: unknown) => {
      const res = await app.request(`${s.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
  }

  it('finds the user by either spelling after the upgrade, and a POST in either spelling is 409, not a second user', async () => {
    const scim = upgradeWithLegacyUser();
    for (const filter of [`userName eq "${NFD}"`, `userName eq "${NFC}"`, `emails[type eq "work"].value eq "${NFD}"`]) {
      const found = await scim('GET', `/Users?filter=${q(filter)}`);
      expect([filter, found.body.totalResults, found.body.Resources?.[0]?.userName]).toEqual([filter, 1, NFC]);
    }
    for (const userName of [NFD, NFC]) {
      const dup = await scim('POST', '/Users', { userName });
      expect([dup.status, dup.body.scimType]).toEqual([409, 'uniqueness']);
    }
    expect(upgraded!.directory.findUserByEmail(s.tenantId, NFD)?.id).toBe('usr_legacy');
    expect((await scim('GET', '/Users?count=0')).body.totalResults).toBe(1);
  });
});
