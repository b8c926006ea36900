import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRouter } from '../../../http/router.ts';
import { bodyLimit } from '../../../http/body-limit.ts';
import { bearerAuth } from '../../../http/auth.ts';
import type { Services } from '../../../services.ts';
import { runBulk } from '../bulk.ts';
import { listOf, resourceTypes, schemaResource, schemas, serviceProviderConfig } from '../discovery.ts';
import { ScimError, invalidFilter, invalidValue, renderScimError, resourceNotFound } from '../errors.ts';
import { SCIM_LIMITS } from '../limits.ts';
import type { ScimRequest } from '../request.ts';
import { ALL_SCHEMAS } from '../schema/registry.ts';
import type { ScimGroups } from '../groups.ts';
import type { ScimUsers } from '../users.ts';
import { readScimBody } from './body.ts';
import { scimDirectoryContext } from './context.ts';
import { finishPendingTupleWork } from './pending-work.ts';
import { respond } from './respond.ts';
import { scimRoute } from './route-defs.ts';

const scimRequest = (c: Context): ScimRequest => c.get('scimRequest') as ScimRequest;
const param = (c: Context): string => c.req.param('id') as string;

/** Registers a declared SCIM route; handlers build their responses with `respond`. */
function on(app: OpenAPIHono, route: ReturnType<typeof scimRoute>, handler: (c: Context) => Response | Promise<Response>): void {
  app.openapi(route, handler as never);
}
const projectionQuery = (c: Context) => ({ attributes: c.req.query('attributes'), excludedAttributes: c.req.query('excludedAttributes') });
const listQuery = (c: Context) => ({
  filter: c.req.query('filter'),
  startIndex: c.req.query('startIndex'),
  count: c.req.query('count'),
  sortBy: c.req.query('sortBy'),
  sortOrder: c.req.query('sortOrder'),
  ...projectionQuery(c),
});

/** `/scim/v2/{directory}/…`: the SCIM 2.0 service provider, one per directory. */
export function scimApi(s: Services): OpenAPIHono {
  const app = createRouter();
  app.use('*', async function scimErrors(c, next) {
    c.set('renderError', renderScimError);
    await next();
  });
  app.use('*', bodyLimit(SCIM_LIMITS.maxPayloadSize));
  app.use(
    '/:directory/*',
    bearerAuth({ authenticators: [(t) => s.scim.directories.authenticate(t)], limiter: s.limiter, metrics: s.metrics, realm: 'portcullis-scim' }),
  );
  app.use('/:directory/*', scimDirectoryContext({ storage: s.storage, directories: s.scim.directories }));
  app.use('/:directory/*', finishPendingTupleWork(s.authzWriter));

  mountDiscovery(app);
  mountResource(app, 'Users', s.scim.users);
  mountResource(app, 'Groups', s.scim.groups);

  on(app, scimRoute('post', '/{directory}/Bulk', 'Bulk operations (bulkId references, failOnErrors)', 200, true), async (c) =>
    respond(c, await runBulk(scimRequest(c), await readScimBody(c), s.scim.users, s.scim.groups)),
  );
  methodNotAllowed(app, '/:directory/Bulk', ['GET', 'PUT', 'PATCH', 'DELETE']);
  app.post('/:directory/.search', () => {
    throw new ScimError(501, undefined, 'Searching several resource types at once is not supported: use /Users/.search or /Groups/.search.');
  });
  return app;
}

function mountResource(app: OpenAPIHono, name: 'Users' | 'Groups', svc: ScimUsers | ScimGroups): void {
  const one = `/{directory}/${name}/{id}`;
  const all = `/{directory}/${name}`;
  on(app, scimRoute('get', all, `List or filter ${name}`, 200), (c) => respond(c, svc.list(scimRequest(c), listQuery(c))));
  on(app, scimRoute('post', `${all}/.search`, `Search ${name} (POST /.search)`, 200, true), async (c) =>
    respond(c, svc.list(scimRequest(c), searchQuery(await readScimBody(c)))),
  );
  on(app, scimRoute('post', all, `Create a ${name.slice(0, -1)}`, 201, true), async (c) =>
    respond(c, await svc.create(scimRequest(c), await readScimBody(c), projectionQuery(c))),
  );
  on(app, scimRoute('get', one, `Get a ${name.slice(0, -1)} (If-None-Match → 304)`, 200), (c) => {
    const result = svc.get(scimRequest(c), param(c), projectionQuery(c));
    const inm = c.req.header('if-none-match');
    if (inm && result.etag && inm.split(',').map((t) => t.trim()).some((t) => t === '*' || t.replace(/^W\//, '') === result.etag?.replace(/^W\//, ''))) {
      return c.body(null, 304, { ETag: result.etag });
    }
    return respond(c, result);
  });
  on(app, scimRoute('put', one, `Replace a ${name.slice(0, -1)} (If-Match → 412)`, 200, true), async (c) =>
    respond(c, await svc.replace(scimRequest(c), param(c), await readScimBody(c), c.req.header('if-match'), projectionQuery(c))),
  );
  on(app, scimRoute('patch', one, `Modify a ${name.slice(0, -1)} (atomic PatchOp; If-Match → 412)`, 200, true), async (c) =>
    respond(c, await svc.patch(scimRequest(c), param(c), await readScimBody(c), c.req.header('if-match'), projectionQuery(c))),
  );
  on(app, scimRoute('delete', one, `Delete a ${name.slice(0, -1)}`, 204), async (c) =>
    respond(c, await svc.delete(scimRequest(c), param(c), c.req.header('if-match'))),
  );
  methodNotAllowed(app, `/:directory/${name}`, ['PUT', 'PATCH', 'DELETE']);
}

function mountDiscovery(app: OpenAPIHono): void {
  const json = (c: Context, body: unknown) => respond(c, { status: 200, body });
  on(app, scimRoute('get', '/{directory}/ServiceProviderConfig', 'What this service provider supports', 200), (c) =>
    json(c, serviceProviderConfig(scimRequest(c).baseUrl)),
  );
  on(app, scimRoute('get', '/{directory}/ResourceTypes', 'Resource types (User, Group)', 200), (c) => json(c, listOf(resourceTypes(scimRequest(c).baseUrl))));
  on(app, scimRoute('get', '/{directory}/ResourceTypes/{id}', 'One resource type', 200), (c) => {
    const found = resourceTypes(scimRequest(c).baseUrl).find((r) => r.id === param(c));
    if (!found) throw resourceNotFound('ResourceType', param(c));
    return json(c, found);
  });
  on(app, scimRoute('get', '/{directory}/Schemas', 'Schemas: exactly the attributes stored', 200), (c) => json(c, listOf(schemas(scimRequest(c).baseUrl))));
  on(app, scimRoute('get', '/{directory}/Schemas/{id}', 'One schema by URN', 200), (c) => {
    const found = ALL_SCHEMAS.find((x) => x.id === param(c));
    if (!found) throw resourceNotFound('Schema', param(c));
    return json(c, schemaResource(found, scimRequest(c).baseUrl));
  });
  for (const path of ['ServiceProviderConfig', 'ResourceTypes', 'ResourceTypes/:id', 'Schemas', 'Schemas/:id']) {
    methodNotAllowed(app, `/:directory/${path}`, ['POST', 'PUT', 'PATCH', 'DELETE']);
  }
}

function methodNotAllowed(app: OpenAPIHono, path: string, methods: string[]): void {
  app.on(methods, path, () => {
    throw new ScimError(405, undefined, 'This method is not supported on this endpoint.');
  });
}

function searchQuery(body: unknown) {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  // A member of the wrong type is refused, not ignored: an ignored filter would answer with every resource.
  const absent = (v: unknown) => v === undefined || v === null;
  const wrongType = (name: string) => (name === 'filter' ? invalidFilter : invalidValue)(`'${name}' in a search request has the wrong type.`);
  const str = (name: string) => {
    const v = b[name];
    if (absent(v)) return undefined;
    if (typeof v !== 'string') throw wrongType(name);
    return v;
  };
  const num = (name: string) => {
    const v = b[name];
    if (absent(v)) return undefined;
    if (typeof v !== 'number' && typeof v !== 'string') throw wrongType(name);
    return v;
  };
  const list = (name: string) => {
    const v = b[name];
    if (absent(v)) return undefined;
    if (typeof v === 'string') return v;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrongType(name);
    return v as string[];
  };
  return {
    filter: str('filter'),
    startIndex: num('startIndex'),
    count: num('count'),
    sortBy: str('sortBy'),
    sortOrder: str('sortOrder'),
    attributes: list('attributes'),
    excludedAttributes: list('excludedAttributes'),
  };
}
