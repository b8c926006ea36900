import type { Clock } from '../../lib/clock.ts';
import { ifMatchAccepts } from '../../lib/etag.ts';
import { badRequest, conflict, notFound, preconditionFailed } from '../../http/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import { certificateFingerprint, createSpKeyPair } from '../saml/certificates.ts';
import { SP_KEY_CONTEXT } from '../saml/service-provider.ts';
import { connectionEtag, connectionView, type Connection, type SamlSettings } from './connection.ts';
import type { ConnectionService } from './service.ts';

type SpKeys = Pick<SamlSettings, 'sp_certificate' | 'sp_private_key_sealed' | 'sp_certificate_created_at' | 'sp_pending' | 'sp_previous'>;

/**
 * SP certificate rotation of a SAML connection, without a sign-in failing at any step:
 * 1. `stage` makes a new key pair `pending`: SP metadata lists it for signing beside the current
 *    one, and as the encryption certificate (assertions encrypted to either are decrypted);
 * 2. once the IdP has the new metadata, `activate` signs AuthnRequests with it; the replaced pair
 *    becomes `previous`, no longer published but still accepted for decryption;
 * 3. `retire` drops the previous pair (or discards a pending one). Each step is audited.
 */
export class SpCertificateRotation {
  constructor(
    private readonly connections: ConnectionService,
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly baseUrl: string,
  ) {}

  stage(tenantId: string, id: string, ifMatch: string | undefined, actor: Actor): Connection {
    const now = this.clock.now();
    // The RSA key pair (50–200 ms) is made outside the write transaction, and only when staging can succeed.
    const current = this.connections.get(tenantId, id).saml;
    const pair = current && !current.sp_pending ? createSpKeyPair(`portcullis ${id}`, now) : undefined;
    return this.#change(tenantId, id, ifMatch, actor, 'sso.connection.sp_certificate_staged', (s) => {
      if (s.sp_pending || !pair) throw conflict('sp_certificate_pending', 'A new SP certificate is already staged: activate or discard it first.');
      const pending = { certificate: pair.certificatePem, private_key_sealed: this.box.seal(pair.privateKeyPem, SP_KEY_CONTEXT), created_at: now.toISOString() };
      return { keys: { ...s, sp_pending: pending }, certificate: pair.certificatePem };
    });
  }

  activate(tenantId: string, id: string, ifMatch: string | undefined, actor: Actor): Connection {
    return this.#change(tenantId, id, ifMatch, actor, 'sso.connection.sp_certificate_activated', (s) => {
      const pending = s.sp_pending;
      if (!pending) throw conflict('no_pending_sp_certificate', 'No SP certificate is staged: stage one first.');
      if (s.sp_previous) {
        throw conflict('sp_certificate_previous_exists', 'The certificate replaced by the last rotation is still accepted: retire it before activating another.');
      }
      const previous = { certificate: s.sp_certificate, private_key_sealed: s.sp_private_key_sealed, created_at: s.sp_certificate_created_at };
      const keys = { sp_certificate: pending.certificate, sp_private_key_sealed: pending.private_key_sealed, sp_certificate_created_at: pending.created_at, sp_pending: null, sp_previous: previous };
      return { keys, certificate: pending.certificate };
    });
  }

  retire(tenantId: string, id: string, which: 'pending' | 'previous', ifMatch: string | undefined, actor: Actor): Connection {
    return this.#change(tenantId, id, ifMatch, actor, 'sso.connection.sp_certificate_retired', (s) => {
      const pair = which === 'pending' ? s.sp_pending : s.sp_previous;
      if (!pair) throw notFound(`${which} SP certificate`);
      return { keys: { ...s, [`sp_${which}`]: null }, certificate: pair.certificate, which };
    });
  }

  #change(
    tenantId: string,
    id: string,
    ifMatch: string | undefined,
    actor: Actor,
    action: 'sso.connection.sp_certificate_staged' | 'sso.connection.sp_certificate_activated' | 'sso.connection.sp_certificate_retired',
    step: (s: SpKeys) => { keys: SpKeys; certificate: string; which?: string },
  ): Connection {
    return this.storage.transaction(() => {
      const before = this.connections.get(tenantId, id);
      if (!before.saml) throw badRequest('invalid_connection', 'Only SAML connections have SP certificates.');
      if (ifMatch !== undefined && !ifMatchAccepts(ifMatch, connectionEtag(before))) throw preconditionFailed();
      const { keys, certificate, which } = step(before.saml);
      const repo = this.connections.repo(tenantId);
      repo.update(before, this.clock.now().toISOString());
      repo.writeSpKeys(id, keys);
      const after = this.connections.get(tenantId, id);
      const metadata = { fingerprint: certificateFingerprint(certificate), ...(which ? { which } : {}) };
      this.audit.record(
        tenantId,
        { action, target: { type: 'connection', id }, before: connectionView(before, this.baseUrl), after: connectionView(after, this.baseUrl), metadata },
        actor,
      );
      return after;
    });
  }
}
