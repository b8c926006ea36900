import type { OidcSettings } from './connection.ts';

/**
 * What happened to the upstream client secret, which no view shows (only `has_client_secret`):
 * without this, an event replacing it has the same before and after.
 */
export function secretChange(before: OidcSettings | null, after: OidcSettings | null): { client_secret: 'set' | 'replaced' | 'removed' } | undefined {
  const was = before?.client_secret_sealed ?? null;
  const is = after?.client_secret_sealed ?? null;
  if (was === is) return undefined;
  return { client_secret: was === null ? 'set' : is === null ? 'removed' : 'replaced' };
}
