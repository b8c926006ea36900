import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../test/helpers/harness.ts';
import { systemActor } from '../audit/events.ts';

describe('DirectoryService (lookups and just-in-time users)', () => {
  let h: Harness;
  let tenantId: string;
  beforeEach(async () => {
    h = new Harness();
    tenantId = (await h.createTenant('Acme')).id;
  });
  afterEach(() => h.close());

  const jit = (userName: string, email: string | null = null) =>
    h.services.directory.createUserJustInTime(
      tenantId,
      { user_name: userName, email, external_id: 'ext-1', given_name: 'Ada', family_name: 'Lovelace', display_name: 'Ada L' },
      systemActor(),
    );

  it('creates a user just in time and audits directory.user.created', () => {
    const user = jit('ada@acme.test', 'Ada@Acme.test');
    expect(user).toMatchObject({ user_name: 'ada@acme.test', email: 'ada@acme.test', given_name: 'Ada', active: true, tenant_id: tenantId });
    const events = h.services.audit.list(tenantId, { action: 'directory.user.created' }, undefined, 10).data;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ target: { type: 'user', id: user.id }, metadata: { source: 'sso_jit' } });
  });

  it('finds users by id, external id and any email case-insensitively', () => {
    const user = jit('ada@acme.test', 'ada@acme.test');
    expect(h.services.directory.findUserById(tenantId, user.id)?.id).toBe(user.id);
    expect(h.services.directory.findUserByExternalId(tenantId, 'ext-1')?.id).toBe(user.id);
    expect(h.services.directory.findUserByEmail(tenantId, 'ADA@ACME.TEST')?.id).toBe(user.id);
    expect(h.services.directory.findUserByEmail(tenantId, 'nobody@acme.test')).toBeUndefined();
  });

  it('stores a just-in-time user\'s userName and email in Unicode NFC and finds it by either spelling', () => {
    const [nfc, nfd] = ['jos\u00e9@acme.test', 'jose\u0301@acme.test'];
    const user = jit(nfd, nfd);
    expect(user).toMatchObject({ user_name: nfc, email: nfc });
    expect(h.services.directory.findUserByEmail(tenantId, nfc)?.id).toBe(user.id);
    expect(h.services.directory.findUserByEmail(tenantId, nfd)?.id).toBe(user.id);
    expect(() => jit(nfc)).toThrowError(/already exists/);
  });

  it('finds a user by email in any letter case outside ASCII, in a decomposed spelling, and with surrounding whitespace', () => {
    const find = (email: string) => h.services.directory.findUserByEmail(tenantId, email)?.id;
    const cases: [string, string[]][] = [
      ['Élise@Bank.test', ['élise@bank.test', 'ÉLISE@BANK.TEST', 'e\u0301lise@bank.test', 'E\u0301LISE@bank.test', '  élise@bank.test\t']],
      ['ärger@bank.test', ['ÄRGER@bank.test', 'A\u0308rger@bank.test']],
      ['ΣΑΣ@bank.test', ['σας@bank.test', 'σασ@bank.test', 'Σας@bank.test']],
      ['İnci@bank.test', ['i\u0307nci@bank.test', 'İNCI@bank.test']],
    ];
    for (const [stored, spellings] of cases) {
      const user = jit(`user-${stored}`, stored);
      for (const spelling of spellings) expect([spelling, find(spelling)]).toEqual([spelling, user.id]);
    }
  });

  it('keeps Turkish dotted and dotless i apart from i and I, and ß apart from ss (lower-casing, not full case folding)', () => {
    jit('i1', 'İnci@bank.test');
    jit('i2', 'ılgaz@bank.test');
    jit('s1', 'straße@bank.test');
    for (const other of ['inci@bank.test', 'INCI@bank.test', 'Ilgaz@bank.test', 'ilgaz@bank.test', 'strasse@bank.test', 'STRASSE@bank.test']) {
      expect([other, h.services.directory.findUserByEmail(tenantId, other)]).toEqual([other, undefined]);
    }
    expect(h.services.directory.findUserByEmail(tenantId, 'STRAẞE@bank.test')?.user_name).toBe('s1');
  });

  it('refuses a just-in-time user whose userName differs from another only in letter case outside ASCII, writing nothing', () => {
    jit('Élise@bank.test');
    expect(() => jit('élise@bank.test')).toThrowError(/already exists/);
    expect(() => jit('E\u0301LISE@BANK.TEST')).toThrowError(/already exists/);
    expect(h.services.audit.list(tenantId, { action: 'directory.user.created' }, undefined, 10).data).toHaveLength(1);
  });

  it('never finds a user of another tenant', async () => {
    const other = (await h.createTenant('Other')).id;
    const user = jit('ada@acme.test', 'ada@acme.test');
    expect(h.services.directory.findUserById(other, user.id)).toBeUndefined();
    expect(h.services.directory.findUserByEmail(other, 'ada@acme.test')).toBeUndefined();
    expect(h.services.directory.findUserByExternalId(other, 'ext-1')).toBeUndefined();
  });

  it('finds users only within the scope asked for: one directory, or all but some directories (users without a directory included)', () => {
    const dirs = ['Employees', 'Contractors'].map((name) => h.services.scim.directories.createDirectory(tenantId, { name }, systemActor()).id) as [string, string];
    const make = (userName: string, directory_id: string | null) =>
      h.services.directory.createUserJustInTime(tenantId, { user_name: userName, email: 'shared@acme.test', external_id: 'same', given_name: null, family_name: null, display_name: null, directory_id }, systemActor());
    const [employee, contractor, loose] = [make('e', dirs[0]), make('c', dirs[1]), make('l', null)];
    const d = h.services.directory;
    for (const find of [(scope?: Parameters<typeof d.findUserByEmail>[2]) => d.findUserByExternalId(tenantId, 'same', scope), (scope?: Parameters<typeof d.findUserByEmail>[2]) => d.findUserByEmail(tenantId, 'SHARED@acme.test', scope)]) {
      expect(find()?.id).toBe(employee.id);
      expect(find({ directoryId: dirs[1] })?.id).toBe(contractor.id);
      expect(find({ exceptDirectories: [dirs[0]] })?.id).toBe(contractor.id);
      expect(find({ exceptDirectories: dirs })?.id).toBe(loose.id);
      expect(find({ exceptDirectories: [] })?.id).toBe(employee.id);
      expect(find({ directoryId: 'dir_none' })).toBeUndefined();
    }
    expect(employee).toMatchObject({ directory_id: dirs[0] });
    expect(loose).toMatchObject({ directory_id: null });
    expect(h.services.storage.forTenant(tenantId).directoryUsers.find(employee.id)).toMatchObject({ directory_id: dirs[0], pushed_by_scim: false });
  });

  it('refuses a second user with the same userName in any letter case, writing nothing', () => {
    jit('ada@acme.test');
    expect(() => jit('ADA@acme.test')).toThrowError(/already exists/);
    expect(h.services.audit.list(tenantId, { action: 'directory.user.created' }, undefined, 10).data).toHaveLength(1);
  });
});
