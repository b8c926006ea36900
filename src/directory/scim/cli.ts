import type { Command } from '../../cli/command.ts';
import { requireString } from '../../cli/command.ts';
import { cliActor } from '../../audit/events.ts';

export const scimCommands: Command[] = [
  {
    path: ['scim-token', 'create'],
    summary: "Create a SCIM bearer token (printed once) for the tenant's directory",
    usage: 'portcullis scim-token create --tenant T [--directory DIR_ID] [--name NAME] [--json]',
    options: { tenant: { type: 'string' }, directory: { type: 'string' }, name: { type: 'string' } },
    run(ctx, values) {
      const s = ctx.services();
      const tenant = s.tenants.get(requireString(values, 'tenant'));
      const directoryId =
        typeof values.directory === 'string' ? s.scim.directories.getDirectory(tenant.id, values.directory).id : s.scim.directories.defaultDirectory(tenant.id, cliActor()).id;
      const name = typeof values.name === 'string' ? values.name : 'SCIM token (cli)';
      const created = s.scim.directories.createToken(tenant.id, directoryId, { name }, cliActor());
      ctx.print(
        { id: created.token.id, token: created.secret, base_url: created.base_url },
        (r) => `Created SCIM token ${r.id}\nBase URL: ${r.base_url}\nToken (shown once, store it now): ${r.token}`,
      );
    },
  },
];
