import { CredentialsMethod, OpenFgaApi } from '@openfga/sdk';

/** Where the OpenFGA server is and how Portcullis authenticates to it. */
export interface OpenFgaConnection {
  /** Base URL of the server's HTTP API, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Pre-shared key (`--authn-preshared-keys`), sent as a bearer token. */
  token?: string;
}

/**
 * The SDK's low-level API object: one method per OpenFGA endpoint, the store id passed per
 * call (Portcullis talks to one store per tenant). Retries are few and quick: the caller is
 * itself answering an HTTP request.
 */
export function openFgaApi(conn: OpenFgaConnection): OpenFgaApi {
  return new OpenFgaApi({
    apiUrl: conn.url,
    credentials: conn.token
      ? { method: CredentialsMethod.ApiToken, config: { token: conn.token } }
      : { method: CredentialsMethod.None },
    retryParams: { maxRetry: 2, minWaitInMs: 50 },
  });
}
