import type { Command } from '../cli/command.ts';
import { UsageError } from '../cli/command.ts';
import { cliActor } from '../audit/events.ts';
import { SCOPES, isScope, type Scope } from './scopes.ts';

export const apiKeyCommands: Command[] = [
  {
    path: ['apikey', 'create'],
    summary: 'Create a platform API key or a tenant API key (printed once)',
    usage: `portcullis apikey create (--platform | --tenant T) [--scopes ${SCOPES.join(',')}] [--name NAME] [--json]`,
    options: { platform: { type: 'boolean' }, tenant: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } },
    run(ctx, values) {
      const platform = values.platform === true;
      const tenantRef = typeof values.tenant === 'string' ? values.tenant : undefined;
      if (platform === (tenantRef !== undefined)) throw new UsageError('give exactly one of --platform or --tenant T');
      const name = typeof values.name === 'string' ? values.name.trim() : platform ? 'platform key (cli)' : 'tenant key (cli)';
      if (name === '' || name.length > 200) throw new UsageError('--name is 1-200 characters (as in the admin API)');
      const s = ctx.services();
      let created;
      if (platform) {
        if (values.scopes !== undefined) throw new UsageError('platform keys have every power; --scopes applies to tenant keys');
        created = s.apiKeys.createPlatformKey({ name }, cliActor());
      } else {
        const scopes = parseScopes(typeof values.scopes === 'string' ? values.scopes : 'admin');
        const tenant = s.tenants.get(tenantRef as string);
        created = s.apiKeys.createTenantKey(tenant.id, { name, scopes }, cliActor());
      }
      ctx.print(
        { id: created.apiKey.id, key: created.key, tenant_id: created.apiKey.tenant_id, scopes: created.apiKey.scopes },
        (r) => `Created API key ${r.id}${r.tenant_id ? ` for ${r.tenant_id} (${r.scopes.join(', ')})` : ' (platform)'}\n` +
          `Key (shown once, store it now): ${r.key}`,
      );
    },
  },
  {
    path: ['apikey', 'revoke'],
    summary: 'Revoke an API key by id',
    usage: 'portcullis apikey revoke ID [--json]',
    options: {},
    positionals: ['id'],
    run(ctx, values) {
      const id = values.id;
      if (typeof id !== 'string') throw new UsageError('give the key id: portcullis apikey revoke ID');
      const key = ctx.services().apiKeys.revokeAny(id, cliActor());
      ctx.print({ id: key.id, tenant_id: key.tenant_id, revoked_at: key.revoked_at }, (r) => `Revoked ${r.id} at ${r.revoked_at}`);
    },
  },
];

function parseScopes(raw: string): Scope[] {
  const scopes = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length > 0 || scopes.length === 0) {
    throw new UsageError(`unknown scope ${bad.join(', ') || '(none)'}; choose from ${SCOPES.join(', ')}`);
  }
  return scopes as Scope[];
}
