import type { Context } from 'hono';
import type { Actor } from '../audit/events.ts';
import { principalActorType } from './principal.ts';
import './context.ts';

/** The audit actor for an authenticated request. */
export function actorFrom(c: Context): Actor {
  const p = c.get('principal');
  return {
    type: p ? principalActorType(p) : 'system',
    id: p?.credentialId ?? null,
    credential_id: p?.credentialId ?? null,
    ip: c.get('clientIp') ?? null,
    user_agent: c.req.header('user-agent')?.slice(0, 512) ?? null,
    request_id: c.get('requestId') ?? null,
  };
}
