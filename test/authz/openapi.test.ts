import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { STORE_ROUTES } from './routes-table.ts';

describe('/openapi.json documents the /stores API', () => {
  let h: Harness;
  beforeAll(() => {
    h = new Harness();
  });
  afterAll(() => h.close());

  it('lists every OpenFGA operation with its OpenFGA request body', async () => {
    const doc = (await h.json('GET', '/openapi.json', { key: null })).body;
    const paths = Object.keys(doc.paths).map((p) => p.replace('{authorization_model_id}', '{id}'));
    for (const route of STORE_ROUTES) {
      const path = route.path('{store_id}', '{id}');
      expect(paths, path).toContain(path);
      expect(doc.paths[path.replace('assertions/{id}', 'assertions/{authorization_model_id}')][route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/stores'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateStoreRequest');
    expect(doc.components.schemas.CheckRequest.properties).toHaveProperty('contextual_tuples');
    expect(doc.paths['/stores/{store_id}/list-users'].post.responses['200'].headers).toHaveProperty('X-Portcullis-Truncated');
    expect(doc.paths['/stores/{store_id}/check'].post.responses['404'].content['application/json'].schema.$ref).toBe('#/components/schemas/OpenFgaError');
  });
});
