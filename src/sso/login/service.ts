import type { Actor } from '../../audit/events.ts';
import { notTimed, type Untimed } from '../../lib/untimed.ts';
import { notFound } from '../../http/errors.ts';
import { MAX_CLOCK_SKEW_SECONDS, type Connection } from '../connections/connection.ts';
import { mapIdentity, type IdpIdentity } from '../identity.ts';
import { SamlValidationError, validateSamlResponse, type VerifiedAssertion } from '../saml/acs.ts';
import { UpstreamOidcError } from '../oidc/upstream.ts';
import { beginLogin, type BeginLogin } from './begin.ts';
import { LoginConnections } from './connection-cache.ts';
import { finishLogin } from './complete.ts';
import type { LoginDeps } from './deps.ts';
import { LoginFailure } from './failures.ts';
import type { LoginState } from './state-store.ts';
import { amrOfSaml, amrOfOidc, DEFAULT_ACR } from './amr.ts';
import { randomToken } from '../../lib/crypto.ts';
import { LOGIN_STATE_TTL_MS } from './deps.ts';
import { certificateFingerprint } from '../saml/certificates.ts';
import { mappingWarnings } from './test-warnings.ts';
import { previewLink, type LinkPreview } from './link-preview.ts';
import { assertMetadataCurrentForSignIn } from './metadata-current.ts';

const DECRYPTION_NOTE_INTERVAL_MS = 3_600_000;

/** A succeeded test login's mapped profile, as shown to the admin and kept in `last_test`. */
export type TestMapped = Pick<IdpIdentity, 'external_id' | 'email' | 'given_name' | 'family_name' | 'name' | 'groups' | 'groups_overage'>;

export type LoginOutcome =
  | { kind: 'login'; interactionUid: string; stateId: string }
  | {
      kind: 'test';
      connectionId: string;
      outcome: 'succeeded' | 'failed';
      reason: string | null;
      received: Record<string, unknown>;
      /** How the connection's mapping read what was received (succeeded tests only). */
      mapped?: TestMapped;
      /** What the admin should fix although the test succeeded (see `mappingWarnings`). */
      warnings?: string[];
      /** Whom a real sign-in with this identity would become (succeeded tests only). */
      link?: LinkPreview;
    }
  | { kind: 'idp_initiated'; stateId: string; landing: string }
  | { kind: 'failed'; interactionUid: string | null };

/** The IdP legs of a login: start at the IdP, receive its answer, finish or fail (audited). */
export class LoginService {
  /** Connections parsed once per version, with their SAML settings (SP key opened, node-saml validator). */
  readonly #connections: LoginConnections;
  /** When this process last recorded each SP certificate's decryption (connection id and fingerprint). */
  readonly #decryptionNoted = new Map<string, number>();

  constructor(private readonly deps: LoginDeps) {
    this.#connections = new LoginConnections(deps.connections, deps.baseUrl, deps.box);
  }

  begin(args: BeginLogin): Promise<string> {
    return beginLogin(this.deps, args, (c) => this.#connections.saml(c));
  }

  /** `/sso/saml/{connection}/acs`: the IdP's POSTed SAMLResponse (and RelayState). */
  /** `untimed` runs the sign-in's waits on another server (roles written to a remote OpenFGA), for a caller timing the work. */
  async samlAcs(connectionId: string, form: Record<string, unknown>, actor: Actor, untimed: Untimed = notTimed): Promise<LoginOutcome> {
    const connection = this.#connection(connectionId, 'saml');
    let state: LoginState | undefined;
    try {
      state = this.#takeState(connection, typeof form.RelayState === 'string' ? form.RelayState : undefined);
      assertMetadataCurrentForSignIn(connection, this.deps.clock.now());
      const ctx = this.#connections.saml(connection);
      const verified = await validateSamlResponse(ctx, form.SAMLResponse, state.request_id);
      const identity = this.#identity(connection, verified.attributes, {
        nameId: verified.nameId,
        nameIdFormat: verified.nameIdFormat,
        amr: amrOfSaml(verified.authnContext),
        acr: verified.authnContext ?? DEFAULT_ACR,
        sessionIndex: verified.sessionIndex,
        sessionNotOnOrAfter: verified.sessionNotOnOrAfter,
        authnInstant: verified.authnInstant,
        sha1Signature: verified.sha1Signature,
        encryptedAttributes: verified.encryptedAttributes,
      });
      const taken = state;
      return await this.#finish(state, connection, identity, actor, untimed, () => {
        this.#rememberAssertion(connection, verified);
        // An unsolicited response's state is written only with the sign-in it completes: a refused post leaves none.
        if (taken.purpose === 'idp_initiated') this.deps.states.insert(taken);
      });
    } catch (err) {
      return this.#fail(err, connection, state, actor);
    }
  }

  /** `/sso/oidc/{connection}/callback`: the upstream IdP's redirect with a code (or an error). */
  async oidcCallback(connectionId: string, url: URL, actor: Actor): Promise<LoginOutcome> {
    const connection = this.#connection(connectionId, 'oidc');
    let state: LoginState | undefined;
    try {
      state = this.#takeState(connection, url.searchParams.get('state') ?? undefined, true);
      const claims = await this.deps.upstream.complete(connection as Connection & { oidc: NonNullable<Connection['oidc']> }, url, {
        state: state.id,
        nonce: state.nonce as string,
        codeVerifier: state.code_verifier as string,
      });
      const identity = this.#identity(connection, claims, { amr: amrOfOidc(claims.amr), acr: typeof claims.acr === 'string' ? claims.acr : DEFAULT_ACR });
      return await this.#finish(state, connection, identity, actor, notTimed);
    } catch (err) {
      return this.#fail(err, connection, state, actor);
    }
  }

  /** A test login that could not start (`begin` refused it): recorded as its result, as one refused at the ACS is. */
  recordRefusedTest(connection: Connection, failure: LoginFailure, actor: Actor): void {
    this.#recordTest(connection, 'failed', failure.reason, { detail: failure.detail }, undefined, actor);
  }

  #connection(id: string, protocol: Connection['protocol']): Connection {
    const c = this.#connections.find(id);
    if (!c || c.protocol !== protocol) throw notFound('connection');
    return c;
  }

  /** The login this answer belongs to, consumed (single use). IdP-initiated SAML has none. */
  #takeState(connection: Connection, id: string | undefined, required = false): LoginState {
    const now = this.deps.clock.now().toISOString();
    const state = id ? this.deps.states.findLive(id, now) : undefined;
    if (!state) {
      if (required || !connection.saml?.allow_idp_initiated) {
        throw new LoginFailure(id ? 'login_state_unknown' : 'saml_idp_initiated_disabled', id ? 'no live login for this state' : 'unsolicited response');
      }
      return this.#idpInitiatedState(connection, now);
    }
    if (state.connection_id !== connection.id) throw new LoginFailure('login_state_connection_mismatch', `state belongs to ${state.connection_id}`);
    if (!this.deps.states.consume(state.id, now)) throw new LoginFailure('login_state_reused', 'the login state was already used');
    return state;
  }

  /** An unsolicited response on a connection that allows it: a state of its own, already used (stored only once the sign-in succeeds). */
  #idpInitiatedState(connection: Connection, now: string): LoginState {
    return {
      id: randomToken(32),
      tenant_id: connection.tenant_id,
      connection_id: connection.id,
      purpose: 'idp_initiated',
      interaction_uid: null,
      request_id: null,
      nonce: null,
      code_verifier: null,
      result_session_id: null,
      created_at: now,
      expires_at: new Date(Date.parse(now) + LOGIN_STATE_TTL_MS).toISOString(),
      consumed_at: now,
      completed_at: null,
    };
  }

  /** Where an IdP-initiated login lands: the app's OIDC third-party login URL (`initiate_login_uri`). */
  #landing(connection: Connection, identity: IdpIdentity): string {
    const appId = connection.saml?.idp_initiated_app_id;
    const app = appId ? this.deps.apps.findLive(appId) : undefined;
    if (!app?.initiate_login_uri || (!app.multi_tenant && app.tenant_id !== connection.tenant_id)) {
      throw new LoginFailure('saml_idp_initiated_no_app', 'the connection names no app with an initiate_login_uri to land in');
    }
    const url = new URL(app.initiate_login_uri);
    url.searchParams.set('iss', `${this.deps.baseUrl}/oidc`);
    if (identity.email) url.searchParams.set('login_hint', identity.email);
    return url.toString();
  }

  /**
   * The id is kept until the assertion expires plus the largest skew a connection may allow, not
   * its current one: an admin raising the skew later must not reopen a window for a replay.
   */
  #rememberAssertion(connection: Connection, verified: VerifiedAssertion): void {
    const keepUntil = new Date(verified.notOnOrAfter.getTime() + MAX_CLOCK_SKEW_SECONDS * 1000);
    const fresh = this.deps.replay.remember(connection.id, verified.assertionId, keepUntil, this.deps.clock.now());
    if (!fresh) throw new LoginFailure('saml_assertion_replayed', `assertion ${verified.assertionId} was already used`);
    if (verified.decryptedWith) this.#noteDecryption(connection.id, verified.decryptedWith);
  }

  /** At most hourly per certificate and process: the admin needs the day, not the second. */
  #noteDecryption(connectionId: string, certificate: string): void {
    const fingerprint = certificateFingerprint(certificate);
    const key = `${connectionId} ${fingerprint}`;
    const now = this.deps.clock.now();
    if (now.getTime() - (this.#decryptionNoted.get(key) ?? -Infinity) < DECRYPTION_NOTE_INTERVAL_MS) return;
    this.deps.connections.lookup.noteDecryption(connectionId, fingerprint, now.toISOString());
    this.#decryptionNoted.set(key, now.getTime());
  }

  #identity(connection: Connection, received: Record<string, unknown>, extra: Parameters<typeof mapIdentity>[4]): IdpIdentity {
    const mapped = mapIdentity(connection.protocol, connection.attribute_preset, connection.attribute_mapping, received, extra);
    if (!mapped.ok) throw new LoginFailure(mapped.reason, mapped.detail);
    return mapped.identity;
  }

  async #finish(state: LoginState, connection: Connection, identity: IdpIdentity, actor: Actor, untimed: Untimed, guard: () => void = () => {}): Promise<LoginOutcome> {
    if (state.purpose === 'test') {
      this.deps.storage.transaction(guard);
      const { mapped, warnings, link } = this.#recordTest(connection, 'succeeded', null, identity.received, identity, actor);
      return { kind: 'test', connectionId: connection.id, outcome: 'succeeded', reason: null, received: identity.received, mapped: mapped ?? undefined, warnings, link: link ?? undefined };
    }
    if (connection.status !== 'active') throw new LoginFailure('connection_not_active', `connection is ${connection.status}`);
    const landing = state.purpose === 'idp_initiated' ? this.#landing(connection, identity) : undefined;
    await finishLogin(this.deps, state, connection, identity, actor, guard, untimed);
    if (landing) return { kind: 'idp_initiated', stateId: state.id, landing };
    return { kind: 'login', interactionUid: state.interaction_uid as string, stateId: state.id };
  }

  #fail(err: unknown, connection: Connection, state: LoginState | undefined, actor: Actor): LoginOutcome {
    const { reason, detail, userId, directoryId } = failureOf(err);
    if (reason === 'internal_error') this.deps.logger.error({ err, connection_id: connection.id }, 'login failed unexpectedly');
    if (state?.purpose === 'test') {
      this.#recordTest(connection, 'failed', reason, { detail }, undefined, actor);
      return { kind: 'test', connectionId: connection.id, outcome: 'failed', reason, received: reason === 'internal_error' ? {} : { detail: detail.slice(0, 500) } };
    }
    this.deps.storage.transaction(() =>
      this.deps.audit.record(
        connection.tenant_id,
        {
          action: 'sso.login.failed',
          target: { type: 'connection', id: connection.id },
          metadata: {
            reason,
            detail: detail.slice(0, 500),
            protocol: connection.protocol,
            interaction_uid: state?.interaction_uid ?? null,
            ...(userId ? { user_id: userId } : {}),
            ...(directoryId ? { directory_id: directoryId } : {}),
          },
        },
        actor,
      ),
    );
    return { kind: 'failed', interactionUid: state?.interaction_uid ?? null };
  }

  #recordTest(
    connection: Connection,
    outcome: 'succeeded' | 'failed',
    reason: string | null,
    received: Record<string, unknown>,
    identity: IdpIdentity | undefined,
    actor: Actor,
  ): { mapped: TestMapped | null; warnings: string[]; link: LinkPreview | null } {
    const now = this.deps.clock.now().toISOString();
    const mapped: TestMapped | null = identity ? { external_id: identity.external_id, email: identity.email, given_name: identity.given_name, family_name: identity.family_name, name: identity.name, groups: identity.groups, groups_overage: identity.groups_overage } : null;
    const link = identity ? previewLink(this.deps, connection, identity) : null;
    const warnings = identity ? mappingWarnings(connection, identity) : [];
    this.deps.storage.transaction(() => {
      this.deps.connections.lookup.saveTestResult(connection.id, { tested_at: now, outcome, reason, received: { attributes: received, mapped, warnings, link } });
      this.deps.audit.record(
        connection.tenant_id,
        {
          action: outcome === 'succeeded' ? 'sso.connection.test_succeeded' : 'sso.connection.test_failed',
          target: { type: 'connection', id: connection.id },
          metadata: { reason, mapped, ...(link ? { link } : {}), ...(warnings.length ? { warnings } : {}), ...(outcome === 'failed' ? { detail: String(received.detail ?? '').slice(0, 500) } : {}) },
        },
        actor,
      );
    });
    return { mapped, warnings, link };
  }
}

function failureOf(err: unknown): { reason: string; detail: string; userId?: string; directoryId?: string } {
  if (err instanceof LoginFailure) return { reason: err.reason, detail: err.detail, userId: err.context.userId, directoryId: err.context.directoryId };
  if (err instanceof SamlValidationError) return { reason: err.reason, detail: err.message };
  if (err instanceof UpstreamOidcError) return { reason: err.reason, detail: err.message };
  // The error itself goes to the server log only: its text (SQL, paths, upstream bodies) is not
  // for the tenant's audit log, which tenant admins read and export.
  return { reason: 'internal_error', detail: "an unexpected error in Portcullis; the server log has it ('login failed unexpectedly', with this connection's id)" };
}
