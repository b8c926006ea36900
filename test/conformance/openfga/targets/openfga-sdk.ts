import { CredentialsMethod, FgaApiError, OpenFgaClient, type AuthorizationModel, type UserClientConfigurationParams } from '@openfga/sdk';
import { ConformanceCallError, type ConformanceTarget } from '../target.ts';
import { userString } from './embedded.ts';

/**
 * A target speaking OpenFGA's HTTP API through `@openfga/sdk`: target (d), the real OpenFGA
 * server, and — given Portcullis' URL and an API key — Portcullis' `/stores` API.
 */
export function sdkTarget(name: string, apiUrl: string, options: { apiToken?: string; createStore?: (name: string) => Promise<string> } = {}): ConformanceTarget {
  const config: UserClientConfigurationParams = { apiUrl, retryParams: { maxRetry: 0 } };
  if (options.apiToken) config.credentials = { method: CredentialsMethod.ApiToken, config: { token: options.apiToken } };
  const client = new OpenFgaClient(config);
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof FgaApiError) {
        const data = err.responseData as { code?: string; message?: string } | undefined;
        throw ConformanceCallError.fromName(data?.code ?? String(err.statusCode), data?.message ?? err.message);
      }
      throw err;
    }
  };
  return {
    name,
    createStore: options.createStore ?? (async (storeName) => (await call(() => client.createStore({ name: storeName }))).id),
    writeModel: (storeId, model) =>
      call(async () => (await client.writeAuthorizationModel(model as AuthorizationModel, { storeId })).authorization_model_id),
    writeTuples: (storeId, modelId, tuples) => call(async () => void (await client.write({ writes: tuples }, { storeId, authorizationModelId: modelId }))),
    check: (storeId, modelId, r) =>
      call(async () => {
        const res = await client.check(
          { ...r.tupleKey, contextualTuples: r.contextualTuples, context: r.context },
          { storeId, authorizationModelId: modelId },
        );
        return res.allowed === true;
      }),
    listObjects: (storeId, modelId, r) =>
      call(async () =>
        (await client.listObjects(
          { user: r.user, type: r.type, relation: r.relation, contextualTuples: r.contextualTuples, context: r.context },
          { storeId, authorizationModelId: modelId },
        )).objects,
      ),
    listUsers: (storeId, modelId, r) =>
      call(async () =>
        (await client.listUsers(
          { object: r.object, relation: r.relation, user_filters: r.filters, contextualTuples: r.contextualTuples, context: r.context },
          { storeId, authorizationModelId: modelId },
        )).users.map(userString),
      ),
  };
}
