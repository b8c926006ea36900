import { systemActor } from '../audit/events.ts';
import type { DeprovisionTarget, UserRevoker } from '../directory/deprovisioning.ts';
import type { SessionService } from './service.ts';

/**
 * What SSO registers with SCIM deprovisioning. Each runs inside the SCIM request's transaction;
 * `sessions` sends back-channel logout to the apps in `flush`, before the SCIM response.
 */
export function sessionRevokers(sessions: SessionService): UserRevoker[] {
  return [
    {
      name: 'sessions',
      revoke(target: DeprovisionTarget) {
        // The request's actor (the SCIM token) when there is one, as the tuple revoker's events.
        const actor = target.actor ?? { ...systemActor(), id: `deprovisioning:${target.reason}` };
        const { count, notices } = sessions.revokeSessionsOfUser(target.tenantId, target.userId, target.reason, actor);
        return {
          staged: count,
          flush: async () => {
            await sessions.notifier.notify(notices);
            return count;
          },
        };
      },
    },
    {
      name: 'refresh_tokens',
      revoke(target: DeprovisionTarget) {
        const n = sessions.destroyGrantRecords(target.tenantId, target.userId, ['RefreshToken']);
        return { staged: n, flush: async () => n };
      },
    },
    {
      name: 'grants',
      revoke(target: DeprovisionTarget) {
        const n = sessions.destroyGrantRecords(target.tenantId, target.userId, ['Grant']);
        sessions.destroyGrantRecords(target.tenantId, target.userId, ['AccessToken', 'AuthorizationCode']);
        return { staged: n, flush: async () => n };
      },
    },
  ];
}
