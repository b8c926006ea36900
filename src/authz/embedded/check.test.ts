import { afterAll, describe, expect, it } from 'vitest';
import { dslToModel } from '../model/dsl.ts';
import { embeddedEngine, storeWith, tk } from '../../../test/helpers/authz.ts';

const env = embeddedEngine();
afterAll(() => env.close());

describe('check: wildcards', () => {
  const model = 'model\n  schema 1.1\ntype user\ntype employee\ntype doc\n  relations\n    define viewer: [user:*, employee]\n';

  it('grants a user:* tuple to every user of that type, but not to other types', async () => {
    const { allowed } = await storeWith(env.engine, model, [tk('doc:1', 'viewer', 'user:*')]);
    expect(await allowed('user:anyone', 'viewer', 'doc:1')).toBe(true);
    expect(await allowed('user:*', 'viewer', 'doc:1')).toBe(true);
    expect(await allowed('employee:anyone', 'viewer', 'doc:1')).toBe(false);
    expect(await allowed('user:anyone', 'viewer', 'doc:2')).toBe(false);
  });

  it('rejects a wildcard where the relation only accepts the plain type', async () => {
    const { storeId } = await storeWith(env.engine, model);
    await expect(env.engine.write(storeId, { writes: { tuple_keys: [tk('doc:1', 'viewer', 'employee:*')] } })).rejects.toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining("the typed wildcard 'employee:*' is not an allowed type restriction"),
    });
  });
});

describe('check: cycles', () => {
  const model = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member] or owner
    define owner: [group#member]
type doc
  relations
    define banned: [group#member]
    define viewer: [user] but not banned
`;

  it('answers not allowed on a cycle instead of looping', async () => {
    const { allowed } = await storeWith(env.engine, model, [tk('group:a', 'owner', 'group:b#member'), tk('group:b', 'owner', 'group:a#member')]);
    expect(await allowed('user:x', 'member', 'group:a')).toBe(false);
  });

  it('treats a subtrahend that runs into a cycle as excluding, as OpenFGA does', async () => {
    const { allowed } = await storeWith(env.engine, model, [
      tk('doc:1', 'viewer', 'user:x'),
      tk('doc:1', 'banned', 'group:a#member'),
      tk('group:a', 'owner', 'group:b#member'),
      tk('group:b', 'owner', 'group:a#member'),
      tk('doc:2', 'viewer', 'user:x'),
    ]);
    expect(await allowed('user:x', 'viewer', 'doc:1')).toBe(false);
    expect(await allowed('user:x', 'viewer', 'doc:2')).toBe(true);
  });
});

describe('check: resolution depth', () => {
  const chain = (n: number) => {
    const lines = ['model', '  schema 1.1', 'type user', 'type r', '  relations', '    define a1: [user]'];
    for (let i = 2; i <= n; i++) lines.push(`    define a${i}: [r#a${i - 1}]`);
    return lines.join('\n') + '\n';
  };
  const tuples = (n: number) => [tk('r:1', 'a1', 'user:u'), ...Array.from({ length: n - 1 }, (_, i) => tk('r:1', `a${i + 2}`, `r:1#a${i + 1}`))];

  it('resolves a chain of 25 usersets', async () => {
    const { allowed } = await storeWith(env.engine, chain(25), tuples(25));
    expect(await allowed('user:u', 'a25', 'r:1')).toBe(true);
  });

  it('fails a chain of 26 usersets with authorization_model_resolution_too_complex', async () => {
    const { storeId } = await storeWith(env.engine, chain(26), tuples(26));
    await expect(env.engine.check(storeId, { tuple_key: { user: 'user:u', relation: 'a26', object: 'r:1' } })).rejects.toMatchObject({
      code: 'authorization_model_resolution_too_complex',
      status: 400,
    });
  });
});

describe('check: errors and conditions', () => {
  const model = `model
  schema 1.1
type user
type doc
  relations
    define a: [user with small]
    define b: [user]
    define either: a or b
    define both: a and b
condition small(x: int) {
  x < 10
}
`;

  it('lets an allowed branch of a union win over a branch that cannot be evaluated', async () => {
    const { allowed, storeId } = await storeWith(env.engine, model, [tk('doc:1', 'a', 'user:u', { name: 'small' }), tk('doc:1', 'b', 'user:u')]);
    expect(await allowed('user:u', 'either', 'doc:1')).toBe(true);
    await expect(env.engine.check(storeId, { tuple_key: { user: 'user:u', relation: 'both', object: 'doc:1' } })).rejects.toMatchObject({ code: 'validation_error' });
  });

  it('lets a false branch of an intersection win over a branch that cannot be evaluated', async () => {
    const { allowed } = await storeWith(env.engine, model, [tk('doc:1', 'a', 'user:u', { name: 'small' })]);
    expect(await allowed('user:u', 'both', 'doc:1')).toBe(false);
  });

  it('hides tuples a newer model no longer accepts, and re-reads conditions by name from the model', async () => {
    const { storeId, allowed } = await storeWith(env.engine, model, [tk('doc:1', 'a', 'user:u', { name: 'small' })]);
    expect(await allowed('user:u', 'a', 'doc:1', { context: { x: 5 } })).toBe(true);
    await env.engine.writeAuthorizationModel(storeId, dslToModel(model.replace('define a: [user with small]', 'define a: [user]').replace('define b: [user]', 'define b: [user with small]')));
    expect(await allowed('user:u', 'a', 'doc:1', { context: { x: 5 } })).toBe(false);
    await env.engine.writeAuthorizationModel(storeId, dslToModel(model.replace('x < 10', 'x < 3')));
    expect(await allowed('user:u', 'a', 'doc:1', { context: { x: 5 } })).toBe(false);
    expect(await allowed('user:u', 'a', 'doc:1', { context: { x: 2 } })).toBe(true);
  });

  it('prefers a contextual tuple over the stored one with the same key', async () => {
    const { allowed } = await storeWith(env.engine, model, [tk('doc:1', 'a', 'user:u', { name: 'small', context: { x: 50 } })]);
    expect(await allowed('user:u', 'a', 'doc:1')).toBe(false);
    const contextual_tuples = { tuple_keys: [tk('doc:1', 'a', 'user:u', { name: 'small', context: { x: 1 } })] };
    expect(await allowed('user:u', 'a', 'doc:1', { contextual_tuples })).toBe(true);
  });

  it('rejects more than 100 contextual tuples', async () => {
    const { storeId } = await storeWith(env.engine, model);
    const tuple_keys = Array.from({ length: 101 }, (_, i) => tk(`doc:${i}`, 'b', 'user:u'));
    await expect(env.engine.check(storeId, { tuple_key: { user: 'user:u', relation: 'b', object: 'doc:1' }, contextual_tuples: { tuple_keys } })).rejects.toMatchObject({
      code: 'validation_error',
    });
  });
});

describe('check: recursive memberships', () => {
  const model = 'model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user, user:*, group#member]\ntype doc\n  relations\n    define viewer: [group#member]\n';

  it('finds a member through nested groups and through a group granted to everyone', async () => {
    const { allowed } = await storeWith(env.engine, model, [
      tk('group:a', 'member', 'group:b#member'),
      tk('group:b', 'member', 'group:c#member'),
      tk('group:c', 'member', 'user:deep'),
      tk('group:open', 'member', 'user:*'),
      tk('doc:1', 'viewer', 'group:a#member'),
      tk('doc:2', 'viewer', 'group:open#member'),
    ]);
    expect(await allowed('user:deep', 'viewer', 'doc:1')).toBe(true);
    expect(await allowed('user:other', 'viewer', 'doc:1')).toBe(false);
    expect(await allowed('user:other', 'viewer', 'doc:2')).toBe(true);
    expect(await allowed('group:c#member', 'viewer', 'doc:1')).toBe(true);
  });

  it('stops at cycles between groups and answers the same from stored and from contextual tuples', async () => {
    const tuples = [
      tk('group:a', 'member', 'group:b#member'),
      tk('group:b', 'member', 'group:a#member'),
      tk('group:b', 'member', 'user:in'),
      tk('doc:1', 'viewer', 'group:a#member'),
    ];
    const stored = await storeWith(env.engine, model, tuples);
    const contextual = await storeWith(env.engine, model);
    for (const [user, expected] of [['user:in', true], ['user:out', false]] as const) {
      expect(await stored.allowed(user, 'viewer', 'doc:1')).toBe(expected);
      expect(await contextual.allowed(user, 'viewer', 'doc:1', { contextual_tuples: { tuple_keys: tuples } })).toBe(expected);
    }
  });

  it('ignores membership tuples whose condition the current model no longer accepts', async () => {
    const conditional = model.replace('define member: [user, user:*, group#member]', 'define member: [user with open, group#member]') +
      'condition open(x: int) {\n  x < 10\n}\n';
    const { storeId, allowed } = await storeWith(env.engine, conditional, [
      tk('group:a', 'member', 'user:u', { name: 'open', context: { x: 1 } }),
      tk('doc:1', 'viewer', 'group:a#member'),
    ]);
    expect(await allowed('user:u', 'viewer', 'doc:1')).toBe(true);
    await env.engine.writeAuthorizationModel(storeId, dslToModel(model));
    expect(await allowed('user:u', 'viewer', 'doc:1')).toBe(false);
  });
});

describe('check: answers settled by the tuple asked about', () => {
  const model = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type doc
  relations
    define owner: [user]
    define editor: [user with small, group#member]
    define viewer: [user, user:*, group#member] or editor
    define gated: [user with small]
    define both: [user] and owner
    define blocked: [user]
    define reader: [user] but not blocked
condition small(x: int) {
  x < 10
}
`;
  const tuples = [
    tk('doc:1', 'owner', 'user:anne'),
    tk('doc:1', 'editor', 'user:bob', { name: 'small', context: { x: 1 } }),
    tk('doc:1', 'editor', 'user:carl', { name: 'small' }),
    tk('doc:1', 'editor', 'group:eng#member'),
    tk('group:eng', 'member', 'user:dana'),
    tk('doc:2', 'viewer', 'user:*'),
    tk('doc:1', 'gated', 'user:carl', { name: 'small' }),
    tk('doc:1', 'gated', 'user:erin', { name: 'small', context: { x: 50 } }),
    tk('doc:1', 'both', 'user:anne'),
    tk('doc:1', 'both', 'user:bob'),
    tk('doc:1', 'reader', 'user:anne'),
    tk('doc:1', 'reader', 'user:bob'),
    tk('doc:1', 'blocked', 'user:bob'),
  ];
  const users = ['user:anne', 'user:bob', 'user:carl', 'user:dana', 'user:erin', 'user:*', 'group:eng#member', 'doc:1#owner'];
  const relations = ['owner', 'editor', 'viewer', 'gated', 'both', 'reader'];
  // A contextual tuple on an unrelated object sends a Check down the full evaluation.
  const unrelated = { tuple_keys: [tk('doc:unrelated', 'owner', 'user:nobody')] };
  const outcome = (p: Promise<{ allowed?: boolean }>) => p.then((r) => String(r.allowed), (e: { code?: string }) => `error ${e.code}`);

  it('answers every check exactly as the full evaluation does, errors included', async () => {
    const { storeId } = await storeWith(env.engine, model, tuples);
    let compared = 0;
    for (const object of ['doc:1', 'doc:2']) {
      for (const relation of relations) {
        for (const user of users) {
          for (const context of [undefined, { x: 3 }]) {
            const tuple_key = { user, relation, object };
            const fast = await outcome(env.engine.check(storeId, { tuple_key, context }));
            const full = await outcome(env.engine.check(storeId, { tuple_key, context, contextual_tuples: unrelated }));
            expect(`${user} ${relation} ${object} ${JSON.stringify(context)}: ${fast}`).toBe(`${user} ${relation} ${object} ${JSON.stringify(context)}: ${full}`);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(192);
    expect(await outcome(env.engine.check(storeId, { tuple_key: { user: 'user:carl', relation: 'gated', object: 'doc:1' } }))).toBe('error validation_error');
    expect(await outcome(env.engine.check(storeId, { tuple_key: { user: 'user:erin', relation: 'gated', object: 'doc:1' } }))).toBe('false');
    expect(await outcome(env.engine.check(storeId, { tuple_key: { user: 'user:anne', relation: 'owner', object: 'doc:1' } }))).toBe('true');
  });
});
