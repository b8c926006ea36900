import { Resolver } from 'node:dns/promises';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { randomToken } from '../../lib/crypto.ts';
import { badRequest, conflict, notFound, serviceUnavailable, unprocessable } from '../../http/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import type { Domain, SqliteDomainStore } from './store.ts';
import { canonicalDomain } from './canonical.ts';

/**
 * Resolves TXT records (node:dns by default; tests inject their own). Rejects with the DNS error
 * code (`ENOTFOUND`, `ENODATA`: no record; `ESERVFAIL`, `ETIMEOUT`, …: the lookup failed).
 */
export type TxtResolver = (name: string) => Promise<string[][]>;

/** The host's resolvers (`/etc/resolv.conf`), giving up after about 7 s instead of the 20 s and more of c-ares' defaults. */
export const systemTxtResolver: TxtResolver = (name) => new Resolver({ timeout: 3000, tries: 2 }).resolveTxt(name);

/** DNS answers meaning "no such record" (NXDOMAIN, or the name without TXT data) rather than "the lookup did not work". */
const NO_RECORD_CODES = new Set(['ENOTFOUND', 'ENODATA']);

/** What a 503 `dns_unavailable` asks the admin to wait before verifying again (seconds). */
export const DNS_RETRY_AFTER_SECONDS = 30;

export const TXT_PREFIX = '_portcullis-verification';
const TXT_VALUE = 'portcullis-domain-verification=';

export function domainView(d: Domain) {
  return {
    id: d.id,
    domain: d.domain,
    verified: d.verified_at !== null,
    verified_at: d.verified_at,
    verification: { type: 'TXT', name: `${TXT_PREFIX}.${d.domain}`, value: `${TXT_VALUE}${d.verification_token}` },
    created_at: d.created_at,
  };
}

/** Email domains a tenant proves it owns with a DNS TXT record; verified ones route logins (home-realm discovery). */
export class DomainService {
  constructor(
    private readonly storage: Storage,
    private readonly store: SqliteDomainStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly resolver: TxtResolver,
  ) {}

  add(tenantId: string, raw: string, actor: Actor): Domain {
    // An internationalised name is claimed (and its TXT record looked up) as its A-labels.
    const domain = canonicalDomain(raw);
    if (!domain) throw badRequest('invalid_domain', `'${raw.slice(0, 300)}' is not a domain name.`);
    return this.storage.transaction(() => {
      if (this.store.findByName(tenantId, domain)) throw conflict('domain_exists', `The domain '${domain}' is already added.`);
      const d: Domain = {
        id: newId('dom', this.clock.now().getTime()),
        tenant_id: tenantId,
        domain,
        verification_token: randomToken(24),
        verified_at: null,
        created_at: this.clock.now().toISOString(),
      };
      this.store.insert(d);
      this.audit.record(tenantId, { action: 'sso.domain.added', target: { type: 'domain', id: d.id }, after: { domain } }, actor);
      return d;
    });
  }

  list(tenantId: string): Domain[] {
    return this.store.list(tenantId);
  }

  get(tenantId: string, id: string): Domain {
    const d = this.store.find(tenantId, id);
    if (!d) throw notFound('domain');
    return d;
  }

  /**
   * Looks the TXT record up now; verified on a match, 422 `domain_not_verified` when DNS answers
   * without it, 503 `dns_unavailable` (Retry-After) when DNS could not be asked. Failures are
   * audited (`sso.domain.verification_failed` with the reason) and change nothing else.
   */
  async verify(tenantId: string, id: string, actor: Actor): Promise<Domain> {
    const d = this.get(tenantId, id);
    if (d.verified_at) return d;
    const name = `${TXT_PREFIX}.${d.domain}`;
    const failure = verificationFailure(name, `${TXT_VALUE}${d.verification_token}`, await lookUp(this.resolver, name));
    if (failure) {
      this.storage.transaction(() => {
        this.#assertTenantLive(tenantId);
        this.audit.record(
          tenantId,
          { action: 'sso.domain.verification_failed', target: { type: 'domain', id }, metadata: { domain: d.domain, record: name, reason: failure.reason } },
          actor,
        );
      });
      if (failure.reason === 'lookup_failed') throw serviceUnavailable('dns_unavailable', failure.message, DNS_RETRY_AFTER_SECONDS);
      throw unprocessable('domain_not_verified', failure.message);
    }
    return this.storage.transaction(() => {
      // The tenant may have been deleted, or the domain verified or removed, during the lookup: answer as things now are.
      this.#assertTenantLive(tenantId);
      const latest = this.get(tenantId, id);
      if (latest.verified_at) return latest;
      // A deleted tenant's claim ends with it (its logins already stopped).
      const releasedFrom = this.store.releaseFromDeleted(d.domain);
      if (this.store.verifiedElsewhere(tenantId, d.domain)) throw conflict('domain_claimed', 'Another tenant has already verified this domain.');
      this.store.markVerified(tenantId, id, this.clock.now().toISOString());
      const metadata = releasedFrom ? { released_from_deleted_tenant: releasedFrom } : undefined;
      this.audit.record(tenantId, { action: 'sso.domain.verified', target: { type: 'domain', id }, after: { domain: d.domain }, metadata }, actor);
      return this.get(tenantId, id);
    });
  }

  #assertTenantLive(tenantId: string): void {
    if (!this.storage.unscoped.tenants.findLive(tenantId)) throw notFound('tenant');
  }

  remove(tenantId: string, id: string, actor: Actor): void {
    this.storage.transaction(() => {
      const d = this.get(tenantId, id);
      this.store.remove(tenantId, id);
      this.audit.record(tenantId, { action: 'sso.domain.removed', target: { type: 'domain', id }, before: { domain: d.domain } }, actor);
    });
  }
}

type Lookup = { records: string[] } | { error: string };

async function lookUp(resolver: TxtResolver, name: string): Promise<Lookup> {
  try {
    return { records: (await resolver(name)).map((chunks) => chunks.join('')) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return NO_RECORD_CODES.has(code) ? { records: [] } : { error: code };
  }
}

/** Why a lookup does not verify the domain, in words an admin can act on; undefined when it does. */
function verificationFailure(name: string, expected: string, lookup: Lookup): { reason: string; message: string } | undefined {
  if ('error' in lookup) {
    return {
      reason: 'lookup_failed',
      message: `The DNS lookup of '${name}' failed (${lookup.error}), so nothing was checked: try again in a moment. Portcullis asks the resolvers of the host it runs on.`,
    };
  }
  if (lookup.records.includes(expected)) return undefined;
  if (lookup.records.length === 0) {
    return {
      reason: 'no_record',
      message: `DNS has no TXT record at '${name}' (yet): publish one with the value in verification.value, wait until your DNS provider serves it, then verify again.`,
    };
  }
  const seen = lookup.records.slice(0, 3).map((r) => `'${r.slice(0, 100)}'`).join(', ');
  return {
    reason: 'value_mismatch',
    message: `'${name}' has ${lookup.records.length} TXT record(s), none with this domain's value '${expected}' (found ${seen}${lookup.records.length > 3 ? ', …' : ''}): the value is per tenant and per claim, copy it from verification.value.`,
  };
}
