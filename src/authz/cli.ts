import type { Command } from '../cli/command.ts';
import { UsageError, requireString } from '../cli/command.ts';

function parseContext(raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch {
    throw new UsageError('--context must be a JSON object, e.g. \'{"amount": 10}\'');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--context must be a JSON object');
  return parsed as Record<string, unknown>;
}

export const authzCommands: Command[] = [
  {
    path: ['check'],
    summary: "Check a relation in a tenant's authorization store (exit 0 whether allowed or not)",
    usage: 'portcullis check --tenant T --user U --relation R --object O [--context JSON] [--model-id ID] [--json]',
    options: {
      tenant: { type: 'string' },
      user: { type: 'string' },
      relation: { type: 'string' },
      object: { type: 'string' },
      context: { type: 'string' },
      'model-id': { type: 'string' },
    },
    async run(ctx, values) {
      const tuple_key = {
        user: requireString(values, 'user'),
        relation: requireString(values, 'relation'),
        object: requireString(values, 'object'),
      };
      const tenantRef = requireString(values, 'tenant');
      const context = parseContext(values.context);
      const modelId = typeof values['model-id'] === 'string' ? values['model-id'] : undefined;
      const s = ctx.services();
      const tenant = s.tenants.get(tenantRef);
      const res = await s.authz.check(tenant.authz_store_id, {
        tuple_key,
        ...(context ? { context } : {}),
        ...(modelId ? { authorization_model_id: modelId } : {}),
      });
      ctx.print({ allowed: res.allowed === true }, (r) =>
        `${r.allowed ? 'allowed' : 'denied'}: ${tuple_key.user} ${tuple_key.relation} ${tuple_key.object}`,
      );
    },
  },
];
