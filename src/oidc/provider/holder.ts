import type Provider from 'oidc-provider';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemActor } from '../../audit/events.ts';
import type { LogoutNotice } from '../../sessions/session.ts';
import type { OidcKeyService } from '../keys/service.ts';
import { BACKCHANNEL_CONCURRENCY, BACKCHANNEL_WAIT_MS } from '../constants.ts';
import { buildProvider, type ProviderDeps } from './configuration.ts';
import { auditProviderEvents, type EventDeps } from './events.ts';
import { boundedFanOut } from './fan-out.ts';

const KEY_CHECK_INTERVAL_MS = 1000;

/**
 * Holds the live provider and rebuilds it when the signing keys change (`portcullis keys
 * rotate` may run in another process against the same data dir): at most one cheap query per
 * second notices a new key generation. All provider state is in SQLite, so a rebuild loses nothing.
 */
export class ProviderHolder {
  #provider?: Provider;
  #handler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  #generation = '';
  #checkedAt = 0;
  /** Back-channel fan-outs still sending after the request that started them returned. */
  readonly #carryingOn = new Set<Promise<void>>();

  constructor(
    private readonly deps: ProviderDeps & EventDeps,
    private readonly keys: OidcKeyService,
  ) {}

  get(): Provider {
    const now = Date.now();
    if (!this.#provider || now - this.#checkedAt > KEY_CHECK_INTERVAL_MS) {
      this.#checkedAt = now;
      if (!this.#provider) this.keys.ensureKeys(systemActor());
      const generation = this.keys.generation();
      if (!this.#provider || generation !== this.#generation) {
        this.#generation = generation;
        this.#provider = buildProvider(this.deps, this.keys.privateJwks());
        auditProviderEvents(this.#provider, this.deps);
        this.#handler = this.#provider.callback() as never;
      }
    }
    return this.#provider as Provider;
  }

  /** The provider's Node request handler (Koa callback), built once per provider. */
  handler(): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
    this.get();
    return this.#handler as (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  }

  /**
   * Sends OIDC back-channel logout tokens to the apps that had sessions, at most
   * `BACKCHANNEL_CONCURRENCY` at once, and waits for them at most `BACKCHANNEL_WAIT_MS`: the
   * rest are still sent after it returns. Returns how many were delivered by then; failures
   * are logged.
   */
  async notify(notices: LogoutNotice[]): Promise<number> {
    const provider = this.get();
    let delivered = 0;
    const deliver = async (n: LogoutNotice) => {
      try {
        const client = await provider.Client.find(n.clientId);
        if (!client?.backchannelLogoutUri) return;
        await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(n.sub, n.sid as string);
        delivered++;
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, client_id: n.clientId }, 'back-channel logout failed');
      }
    };
    const carryOn = (rest: Promise<void>) => {
      this.#carryingOn.add(rest);
      void rest.finally(() => this.#carryingOn.delete(rest));
    };
    await boundedFanOut(notices, deliver, { limit: BACKCHANNEL_CONCURRENCY, waitMs: BACKCHANNEL_WAIT_MS, carryOn });
    return delivered;
  }

  /**
   * Waits, at most `timeoutMs`, for the logout tokens still being sent after their requests
   * returned (and for any fan-out that starts meanwhile): a shutdown calls it before the
   * database closes, which would fail every token not yet sent. Logs what it gave up on.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#carryingOn.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.deps.logger.warn({ fan_outs: this.#carryingOn.size }, 'shutting down with back-channel logout tokens still being sent');
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(this.#carryingOn), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }
}
