import type { Command } from '../cli/command.ts';
import { UsageError, requireString } from '../cli/command.ts';
import { cliActor } from '../audit/events.ts';
import { tenantView, type Tenant } from './tenant.ts';

const summary = (t: Tenant) => ({ id: t.id, slug: t.slug, name: t.name, authz_store_id: t.authz_store_id });

export const tenantCommands: Command[] = [
  {
    path: ['tenant', 'create'],
    summary: 'Create a tenant',
    usage: 'portcullis tenant create --name NAME [--slug SLUG] [--json]',
    options: { name: { type: 'string' }, slug: { type: 'string' } },
    async run(ctx, values) {
      const name = requireString(values, 'name').trim();
      if (name.length > 200) throw new UsageError('--name is 1-200 characters (as in the admin API)');
      const slug = typeof values.slug === 'string' ? values.slug : undefined;
      const tenant = await ctx.services().tenants.create({ name, slug }, cliActor());
      ctx.print(summary(tenant), (t) => `Created tenant ${t.slug} (${t.id}), authorization store ${t.authz_store_id}`);
    },
  },
  {
    path: ['tenant', 'list'],
    summary: 'List tenants',
    usage: 'portcullis tenant list [--json]',
    options: {},
    run(ctx) {
      const all: ReturnType<typeof tenantView>[] = [];
      let cursor: string | undefined;
      do {
        const page = ctx.services().tenants.list({ cursor, limit: 200 });
        all.push(...page.data.map(tenantView));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      ctx.print({ tenants: all }, (r: { tenants: typeof all }) =>
        r.tenants.length === 0
          ? 'No tenants.'
          : r.tenants.map((t) => `${t.id}  ${t.slug.padEnd(24)} ${t.status.padEnd(9)} ${t.name}`).join('\n'),
      );
    },
  },
];
