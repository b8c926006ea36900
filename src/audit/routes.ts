import { createRoute, z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { createRouter } from '../http/router.ts';
import { authorizeTenant } from '../http/access.ts';
import { PaginationQuery, TenantParam, commonErrors, pageOf } from '../http/schemas.ts';
import type { TenantService } from '../tenants/service.ts';
import type { AuditService } from './service.ts';
import { csvHeader, csvLine, ndjsonLine } from './export.ts';
import { auditInstant } from './time-filter.ts';

const iso = z.iso
  .datetime({ offset: true })
  .transform((s, ctx) => auditInstant(s) ?? (ctx.addIssue('must fall within the years 0000-9999 in UTC'), z.NEVER));

const Filters = z.object({
  actor: z.string().max(200).optional().openapi({ description: 'Actor or credential id.' }),
  action: z.string().max(100).optional().openapi({ description: 'Event name, e.g. `tenant.updated`.' }),
  target_type: z.string().max(100).optional(),
  target_id: z.string().max(200).optional(),
  since: iso.optional().openapi({ description: 'ISO 8601; events at or after.' }),
  until: iso.optional().openapi({ description: 'ISO 8601; events before.' }),
});

const AuditEventSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    seq: z.number().int(),
    occurred_at: z.string(),
    action: z.string(),
    actor: z.object({
      type: z.string(),
      id: z.string().nullable(),
      credential_id: z.string().nullable(),
      ip: z.string().nullable(),
      user_agent: z.string().nullable(),
    }),
    request_id: z.string().nullable(),
    target: z.object({ type: z.string(), id: z.string() }).nullable(),
    before: z.unknown(),
    after: z.unknown(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEvent');

const list = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/audit',
  summary: 'Audit events, newest first',
  request: { params: TenantParam, query: PaginationQuery.extend(Filters.shape) },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: pageOf(AuditEventSchema, 'AuditEventPage') } } },
    ...commonErrors,
  },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/audit/export',
  summary: 'Export audit events, oldest first, as NDJSON or CSV',
  request: { params: TenantParam, query: Filters.extend({ format: z.enum(['ndjson', 'csv']).default('ndjson') }) },
  responses: {
    200: {
      description: 'The events',
      content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } },
    },
    ...commonErrors,
  },
});

const verify = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/audit/verify',
  summary: 'Verify the tenant\'s audit hash chain',
  request: { params: TenantParam },
  responses: {
    200: {
      description: 'The verdict',
      content: {
        'application/json': {
          schema: z.object({
            ok: z.boolean(),
            events: z.number().optional(),
            head_hash: z.string().optional(),
            events_checked: z.number().optional(),
            first_bad: z.object({ seq: z.number(), id: z.string().nullable() }).optional(),
            reason: z.string().optional(),
          }),
        },
      },
    },
    ...commonErrors,
  },
});

const READ_SCOPES = ['audit:read', 'admin'] as const;

export function auditRoutes(tenants: TenantService, audit: AuditService) {
  const app = createRouter();

  app.openapi(list, (c) => {
    const tenant = tenants.get(c.req.valid('param').tenant);
    authorizeTenant(c.get('principal'), tenant, READ_SCOPES);
    const { cursor, limit, ...filters } = c.req.valid('query');
    return c.json(audit.list(tenant.id, filters, cursor, limit), 200);
  });

  app.openapi(exportRoute, (c) => {
    const tenant = tenants.get(c.req.valid('param').tenant);
    authorizeTenant(c.get('principal'), tenant, READ_SCOPES);
    const { format, ...filters } = c.req.valid('query');
    const events = audit.export(tenant.id, filters);
    c.header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    c.header('Content-Disposition', `attachment; filename="audit-${tenant.slug}.${format === 'csv' ? 'csv' : 'ndjson'}"`);
    return stream(c, async (s) => {
      if (format === 'csv') await s.write(csvHeader());
      for (const e of events) await s.write(format === 'csv' ? csvLine(e) : ndjsonLine(e));
    }) as never;
  });

  app.openapi(verify, (c) => {
    const tenant = tenants.get(c.req.valid('param').tenant);
    authorizeTenant(c.get('principal'), tenant, READ_SCOPES);
    return c.json(audit.verify(tenant.id), 200);
  });

  return app;
}
