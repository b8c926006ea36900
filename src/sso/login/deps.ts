import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuditService } from '../../audit/service.ts';
import type { DirectoryLookup } from '../../directory/lookup.ts';
import type { StagedTupleWriter } from '../../authz/staged-writer.ts';
import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import type { SessionService } from '../../sessions/service.ts';
import type { ConnectionService } from '../connections/service.ts';
import type { SqliteDomainStore } from '../domains/store.ts';
import type { SsoSettingsService } from '../settings.ts';
import type { SamlReplayCache } from '../saml/replay-cache.ts';
import type { UpstreamOidc } from '../oidc/upstream.ts';
import type { SqliteLoginStates } from './state-store.ts';
import type { SqliteAppLookup } from '../../oidc/apps/sqlite-store.ts';

/** What the login flow needs; built once in the SSO composition. */
export interface LoginDeps {
  storage: Storage;
  clock: Clock;
  audit: AuditService;
  logger: Logger;
  baseUrl: string;
  box: SecretBox;
  connections: ConnectionService;
  states: SqliteLoginStates;
  sessions: SessionService;
  replay: SamlReplayCache;
  upstream: UpstreamOidc;
  settings: SsoSettingsService;
  apps: SqliteAppLookup;
  domains: SqliteDomainStore;
  /** The SCIM directory (late-bound: provided by the directory domain). */
  directory: () => DirectoryLookup | undefined;
  /** Authorization side effects (late-bound: provided by the authz domain). */
  authzWriter: () => StagedTupleWriter | undefined;
}

/** How long a login may take at the IdP. */
export const LOGIN_STATE_TTL_MS = 10 * 60 * 1000;
