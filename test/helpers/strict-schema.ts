import { z, type OpenAPIHono } from '@hono/zod-openapi';

/**
 * `schema` with every object in it strict (unknown keys refused), at any depth: parsing a real
 * answer with it proves the declared response schema names every field the API sends. Records
 * and `unknown` stay open (they are declared free-form on purpose).
 */
export function strictly(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    return z.strictObject(Object.fromEntries(Object.entries(schema.shape as Record<string, z.ZodType>).map(([k, v]) => [k, strictly(v)])));
  }
  if (schema instanceof z.ZodNullable) return strictly(schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodOptional) return strictly(schema.unwrap() as z.ZodType).optional();
  if (schema instanceof z.ZodArray) return z.array(strictly(schema.element as z.ZodType));
  if (schema instanceof z.ZodUnion) return z.union((schema.options as z.ZodType[]).map(strictly));
  if (schema instanceof z.ZodPipe || schema instanceof z.ZodLazy || schema instanceof z.ZodIntersection) {
    throw new Error(`strictly(): a ${schema.constructor.name} is not handled; extend the helper`);
  }
  return schema;
}

/** Parses `value` with the strict form of `schema`; the issues (with their paths) when it does not fit. */
export function strictIssues(schema: z.ZodType, value: unknown): string[] {
  const result = strictly(schema).safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/**
 * The JSON schema a route declares (`createRoute`, hence `/openapi.json`) for `status` of
 * `method path`, found in the app's OpenAPI registry by matching the path to the route templates
 * (literal segments before parameters).
 */
export function declaredResponseSchema(app: OpenAPIHono, method: string, path: string, status: number): z.ZodType {
  const pathname = path.split('?')[0] as string;
  const routes = app.openAPIRegistry.definitions
    .flatMap((d) => (d.type === 'route' && d.route.method === method.toLowerCase() ? [d.route] : []))
    .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));
  const route = routes.find((r) => new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
  if (!route) throw new Error(`no declared route for ${method} ${pathname}`);
  const content = (route.responses[status] as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
  const schema = content?.['application/json']?.schema;
  if (!(schema instanceof z.ZodType)) throw new Error(`${method} ${route.path} declares no JSON schema for ${status}`);
  return schema;
}
