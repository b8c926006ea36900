import type { AuditService } from '../audit/service.ts';
import type { Storage } from '../storage/storage.ts';
import type { Staged } from '../lib/staged.ts';
import type { Deprovisioner, DeprovisionReason } from './deprovisioning.ts';
import type { DirectoryWriteContext } from './write-context.ts';

/**
 * Revokes everything a user holds (sessions, refresh tokens, grants, authorization tuples)
 * through the registered revokers but those named in `except` (audited as `kept`), inside the
 * caller's transaction, and audits what was revoked and how many. When the remote parts (flush)
 * end with other counts than were staged (the OpenFGA backend deletes on flush), a
 * `directory.user.deprovision_completed` event records the final counts.
 */
export function deprovisionUser(
  deps: { storage: Storage; audit: AuditService; deprovisioner: Deprovisioner },
  ctx: DirectoryWriteContext,
  userId: string,
  reason: DeprovisionReason,
  options: { alwaysAudit: boolean; except?: readonly string[] },
): Staged<Record<string, number>> {
  const revocation = deps.deprovisioner.revokeAll({ tenantId: ctx.tenantId, userId, reason, directoryId: ctx.directoryId, actor: ctx.actor }, { except: options.except });
  const kept = options.except?.length ? { kept: [...options.except] } : {};
  const stagedTotal = sum(revocation.staged);
  if (options.alwaysAudit || stagedTotal > 0) {
    deps.audit.record(
      ctx.tenantId,
      {
        action: 'directory.user.deprovisioned',
        target: { type: 'user', id: userId },
        metadata: { reason, revoked: revocation.staged, total: stagedTotal, ...kept },
      },
      ctx.actor,
    );
  }
  return {
    staged: revocation.staged,
    flush: async () => {
      const final = await revocation.flush();
      const changed = Object.keys(final).some((k) => final[k] !== revocation.staged[k]);
      if (changed) {
        deps.storage.transaction(() =>
          deps.audit.record(
            ctx.tenantId,
            {
              action: 'directory.user.deprovision_completed',
              target: { type: 'user', id: userId },
              metadata: { reason, revoked: final, total: sum(final), ...kept },
            },
            ctx.actor,
          ),
        );
      }
      return final;
    },
  };
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
