import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { conflict } from '../http/errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import type { Actor } from '../audit/events.ts';
import type { DirectoryGroupRef, DirectoryLookup, DirectoryUser, UserScope } from './lookup.ts';
import { directoryUserView, emptyUserFields, userAuditView, type UserRecord } from './user.ts';

export type JitUserInput = Parameters<DirectoryLookup['createUserJustInTime']>[1];

/**
 * Reads of the tenant directory for other domains (SSO linking) and just-in-time creation of
 * users at first login. SCIM writes go through UserWrites / GroupWrites.
 */
export class DirectoryService implements DirectoryLookup {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  findUserById(tenantId: string, userId: string): DirectoryUser | undefined {
    return view(this.storage.forTenant(tenantId).directoryUsers.find(userId));
  }

  findUserByExternalId(tenantId: string, externalId: string, scope?: UserScope): DirectoryUser | undefined {
    return view(this.storage.forTenant(tenantId).directoryUsers.findByExternalId(externalId, scope));
  }

  findUserByEmail(tenantId: string, email: string, scope?: UserScope): DirectoryUser | undefined {
    return view(this.storage.forTenant(tenantId).directoryUsers.findByEmail(email.trim().normalize('NFC'), scope));
  }

  findUserByUserName(tenantId: string, userName: string): DirectoryUser | undefined {
    return view(this.storage.forTenant(tenantId).directoryUsers.findByUserName(userName.normalize('NFC')));
  }

  groupsOfUser(tenantId: string, userId: string): DirectoryGroupRef[] {
    return this.storage.forTenant(tenantId).directoryGroups.groupsOfUser(userId);
  }

  createUserJustInTime(tenantId: string, input: JitUserInput, actor: Actor): DirectoryUser {
    const users = this.storage.forTenant(tenantId).directoryUsers;
    const userName = input.user_name.normalize('NFC');
    const email = input.email?.normalize('NFC') ?? null;
    return this.storage.transaction(() => {
      if (users.findByUserName(userName)) {
        throw conflict('user_name_taken', `A user named '${userName}' already exists in this tenant.`);
      }
      const now = this.clock.now();
      const id = newId('usr', now.getTime());
      users.insert({
        ...emptyUserFields(userName),
        external_id: input.external_id,
        name_given_name: input.given_name,
        name_family_name: input.family_name,
        display_name: input.display_name,
        emails: email ? [{ value: email, type: 'work', display: null, primary: true }] : [],
        id,
        directory_id: input.directory_id ?? null,
        pushed_by_scim: false,
        version: 1,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      const created = users.find(id) as UserRecord;
      this.audit.record(
        tenantId,
        { action: 'directory.user.created', target: { type: 'user', id }, after: userAuditView(created), metadata: { source: 'sso_jit' } },
        actor,
      );
      return directoryUserView(created);
    });
  }
}

const view = (u: UserRecord | undefined) => (u ? directoryUserView(u) : undefined);
