import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import type { Connection } from '../connections/connection.ts';
import type { ConnectionService } from '../connections/service.ts';
import { samlContext, type SamlContext } from '../saml/service-provider.ts';

const MAX_ENTRIES = 1000;

/**
 * Connections as the login legs use them, read and prepared once per connection version. Each
 * request reads only the connection's tenant and version (one row by primary key); the settings,
 * IdP certificates, opened SP key and node-saml validator of that version are reused. Every change
 * to a connection bumps its version, and a deleted connection is not found, so nothing stale is
 * served (also when another process, such as the CLI, made the change).
 */
export class LoginConnections {
  readonly #entries = new Map<string, { connection: Connection; saml?: SamlContext }>();

  constructor(
    private readonly connections: ConnectionService,
    private readonly baseUrl: string,
    private readonly box: SecretBox,
  ) {}

  /** The live connection with this id, or undefined. */
  find(id: string): Connection | undefined {
    const head = this.connections.lookup.head(id);
    if (!head) return undefined;
    const cached = this.#entries.get(id)?.connection;
    if (cached && cached.version === head.version && cached.tenant_id === head.tenant_id) return cached;
    const connection = this.connections.get(head.tenant_id, id);
    this.#remember(connection);
    return connection;
  }

  /** The SAML settings of this connection version, prepared once. */
  saml(connection: Connection): SamlContext {
    let entry = this.#entries.get(connection.id);
    if (!entry || entry.connection.version !== connection.version) entry = this.#remember(connection);
    return (entry.saml ??= samlContext(entry.connection, this.baseUrl, this.box, this.connections.policy));
  }

  #remember(connection: Connection): { connection: Connection; saml?: SamlContext } {
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    const entry = { connection };
    this.#entries.set(connection.id, entry);
    return entry;
  }
}
