import type { Command } from '../../cli/command.ts';
import { cliActor } from '../../audit/events.ts';

export const keyCommands: Command[] = [
  {
    path: ['keys', 'rotate'],
    summary: 'Rotate the OpenID Provider signing keys (old keys stay in the JWKS until their tokens expire)',
    usage: 'portcullis keys rotate [--data-dir DIR] [--json]',
    options: {},
    run(ctx) {
      const s = ctx.services();
      s.sso.oidcKeys.ensureKeys(cliActor());
      const result = s.sso.oidcKeys.rotate(cliActor());
      ctx.print(result, (r) =>
        `Rotated signing keys.\n  new: ${r.created.join(', ')}\n  retired: ${r.retired.join(', ') || '(none)'}` +
          ` (published until ${r.retired_keys_published_until})`,
      );
    },
  },
];
