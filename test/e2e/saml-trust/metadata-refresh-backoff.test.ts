import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { startMetadataServer, withEntityAttributes, type MetadataServer } from '../../helpers/metadata-server.ts';
import { FakeClock } from '../../../src/lib/clock.ts';
import { runSsoMaintenance } from '../../../src/sso/maintenance.ts';

const MINUTE = 60_000;

/**
 * A metadata URL whose document passed its validUntil and still serves it: each scheduled
 * attempt fails (and is audited). The failures back off 5, 10, 20, 40 minutes, then hourly,
 * instead of an attempt every 5 minutes; a document that is current again starts over.
 */
describe('refreshing a metadata URL stuck past its validUntil', () => {
  const clock = new FakeClock(new Date('2030-01-01T00:00:00Z'));
  const idp = new TestSamlIdp();
  let env: SsoEnv;
  let metadata: MetadataServer;
  let tenant: { id: string };

  beforeAll(async () => {
    metadata = await startMetadataServer();
    env = await SsoEnv.start({ clock, sso: { metadataFetcher: metadata.fetcher } });
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(async () => {
    await env?.close();
    await metadata?.close();
  });

  /** Runs the housekeeping every minute for `minutes`; the minutes (from the start) at which the URL was fetched. */
  const passes = async (minutes: number) => {
    const start = clock.now().getTime();
    const fetchedAt: number[] = [];
    for (let m = 1; m <= minutes; m++) {
      clock.set(new Date(start + m * MINUTE));
      const before = metadata.fetches;
      await runSsoMaintenance(env.services.sso, clock, 720);
      if (metadata.fetches > before) fetchedAt.push(m);
    }
    return fetchedAt;
  };

  it('retries 5 minutes after the first failure, then 10, 20, 40 and every hour, audited once per attempt; a current document resets it', async () => {
    const validUntil = new Date(clock.now().getTime() + 3 * MINUTE).toISOString();
    metadata.document = withEntityAttributes(idp.metadataXml(), { validUntil });
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: metadata.url } });
    clock.set(new Date(Date.parse(validUntil)));
    const audited = () => env.audit(tenant.id, 'sso.connection.metadata_refreshed').filter((e) => e.target?.id === conn.id).length;

    // Minute 2 (5 minutes after the import, near the bound): the first failure. Then 5 min after
    // it (when it had been expired 2 min), 7 min after (expired 7), 14, 28, 56, then hourly.
    const fetchedAt = await passes(300);
    expect(fetchedAt).toEqual([2, 7, 14, 28, 56, 112, 172, 232, 292]);
    expect(audited()).toBe(fetchedAt.length);
    expect(env.audit(tenant.id, 'sso.connection.metadata_refreshed').at(-1)?.metadata).toMatchObject({ ok: false });

    // The IdP republishes with a later bound that it then lets pass too: the first retry is fast again.
    const next = new Date(clock.now().getTime() + 65 * MINUTE).toISOString();
    metadata.document = withEntityAttributes(idp.metadataXml(), { validUntil: next });
    const after = await passes(150);
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`)).saml.metadata_valid_until).toBe(next);
    // An hour after the last failure it is taken (minute 52); near its bound it is fetched every 5
    // minutes (successes); the first failure past it (minute 67) is retried 5 minutes later again.
    expect(after).toEqual([52, 57, 62, 67, 72, 79, 93, 121]);
  });
});
