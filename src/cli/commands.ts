import type { Command } from './command.ts';
import { serveCommands } from './serve.ts';
import { tenantCommands } from '../tenants/cli.ts';
import { apiKeyCommands } from '../apikeys/cli.ts';
import { auditCommands } from '../audit/cli.ts';
import { keyCommands } from '../oidc/keys/cli.ts';
import { scimCommands } from '../directory/scim/cli.ts';
import { authzCommands } from '../authz/cli.ts';

/** Every CLI command, in help order. Domains contribute their own lists. */
export const commands: Command[] = [...serveCommands, ...tenantCommands, ...apiKeyCommands, ...auditCommands, ...authzCommands, ...scimCommands, ...keyCommands];
