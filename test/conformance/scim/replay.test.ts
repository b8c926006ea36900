import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { scimClient, type ScimClient } from '../../helpers/scim.ts';
import { loadSequences, replay, substitute } from './replay.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/scim');

describe.each(['okta', 'entra'])('recorded %s sequences replay against Portcullis', (idp) => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  it.each(loadSequences(join(FIXTURES, idp)).map((seq) => [seq.file, seq] as const))('%s', async (_file, seq) => {
    await replay(h, s, seq, async (step, vars) => {
      if (step.deprovisioned) {
        const user = substitute(step.deprovisioned, vars);
        const events = h.services.audit.list(s.tenantId, { action: 'directory.user.deprovisioned', target_id: user }, undefined, 50).data;
        expect(events.length, `${step.name}: a deprovisioning audit event`).toBeGreaterThan(0);
      }
      if (step.membershipRemoved) {
        const { group, user } = substitute(step.membershipRemoved, vars);
        const removed = h.services.audit.list(s.tenantId, { action: 'directory.group.members_removed', target_id: group }, undefined, 1).data[0];
        expect(removed?.metadata, `${step.name}: the removal is audited`).toMatchObject({ user_ids: [user], count: 1 });
      }
    });
  });
});
