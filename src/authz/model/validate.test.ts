import { describe, expect, it } from 'vitest';
import { dslToModel } from './dsl.ts';
import { normalizeModelBody } from './normalize.ts';
import { validateModel, MAX_TYPES_PER_MODEL } from './validate.ts';

const check = (body: unknown) => validateModel(normalizeModelBody(body));
const rejects = (body: unknown, code: string, message?: RegExp) => {
  let caught: { code?: string; message?: string } | undefined;
  try {
    check(body);
  } catch (err) {
    caught = err as { code: string; message: string };
  }
  expect(caught?.code).toBe(code);
  if (message) expect(caught?.message).toMatch(message);
};

const direct = (...types: object[]) => ({ directly_related_user_types: types });
const model = (types: object[], conditions?: object) => ({ schema_version: '1.1', type_definitions: types, ...(conditions ? { conditions } : {}) });

describe('model validation', () => {
  it('accepts the JSON the DSL transformer produces, in snake or camel case', () => {
    const body = dslToModel('model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define parent: [doc]\n    define viewer: [user] or viewer from parent\n');
    expect(() => validateModel(body)).not.toThrow();
    const snake = model([
      { type: 'user' },
      { type: 'doc', relations: { owner: { this: {} }, viewer: { computed_userset: { relation: 'owner' } } }, metadata: { relations: { owner: direct({ type: 'user' }) } } },
    ]);
    expect(() => check(snake)).not.toThrow();
  });

  it('rejects a computed relation that is not defined', () => {
    rejects(model([{ type: 'user' }, { type: 'doc', relations: { viewer: { computedUserset: { relation: 'editor' } } } }]), 'invalid_authorization_model', /'doc#editor' relation is undefined/);
  });

  it('rejects a tupleset relation that is not a direct relation', () => {
    rejects(
      model([
        { type: 'user' },
        {
          type: 'doc',
          relations: {
            owner: { this: {} },
            parent: { computedUserset: { relation: 'owner' } },
            viewer: { tupleToUserset: { tupleset: { relation: 'parent' }, computedUserset: { relation: 'owner' } } },
          },
          metadata: { relations: { owner: direct({ type: 'doc' }) } },
        },
      ]),
      'invalid_authorization_model',
      /must be a direct relation/,
    );
  });

  it('rejects a type restriction on an undefined type or relation', () => {
    rejects(model([{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: direct({ type: 'team' }) } } }]), 'invalid_authorization_model', /relation type 'team'/);
    rejects(
      model([{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: direct({ type: 'user', relation: 'member' }) } } }]),
      'invalid_authorization_model',
      /'user#member'/,
    );
  });

  it('rejects a relation no concrete type can ever reach (no entrypoint)', () => {
    rejects(
      model([{ type: 'user' }, { type: 'group', relations: { member: { this: {} } }, metadata: { relations: { member: direct({ type: 'group', relation: 'member' }) } } }]),
      'invalid_authorization_model',
      /no entrypoints defined|potential loop/,
    );
  });

  it('rejects relations that rewrite to each other in a cycle', () => {
    rejects(
      model([
        { type: 'user' },
        {
          type: 'doc',
          relations: {
            a: { union: { child: [{ this: {} }, { computedUserset: { relation: 'b' } }] } },
            b: { intersection: { child: [{ computedUserset: { relation: 'a' } }, { computedUserset: { relation: 'a' } }] } },
          },
          metadata: { relations: { a: direct({ type: 'user' }) } },
        },
      ]),
      'invalid_authorization_model',
      /cycle|entrypoint|loop/,
    );
  });

  it('rejects reserved names, duplicate types and an unsupported schema', () => {
    rejects(model([{ type: 'self' }]), 'invalid_authorization_model');
    rejects(model([{ type: 'user' }, { type: 'user' }]), 'invalid_authorization_model', /duplicate types/);
    rejects({ schema_version: '1.0', type_definitions: [{ type: 'user' }] }, 'invalid_authorization_model', /invalid schema version/);
  });

  it('rejects undefined and uncompilable conditions', () => {
    const withCond = (name: string) =>
      model([{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: direct({ type: 'user', condition: name }) } } }], {
        c: { name: 'c', expression: 'x <', parameters: { x: { type_name: 'TYPE_NAME_INT' } } },
      });
    rejects(withCond('nope'), 'invalid_authorization_model', /condition nope is undefined/);
    rejects(withCond('c'), 'invalid_authorization_model', /failed to compile expression on condition 'c'/);
  });

  it('rejects shapes that are not a model with the codes OpenFGA uses', () => {
    rejects(model([]), 'type_definitions_too_few_items');
    rejects(model([{ type: 'user:x' }]), 'type_invalid_pattern');
    rejects(model([{ type: 'doc', relations: { viewer: { this: {}, computedUserset: { relation: 'x' } } } }]), 'validation_error', /exactly one rewrite/);
    rejects(model(Array.from({ length: MAX_TYPES_PER_MODEL + 1 }, (_, i) => ({ type: `t${i}` }))), 'exceeded_entity_limit');
  });

  it('reports DSL syntax and semantic errors as invalid_authorization_model with their line', () => {
    expect(() => dslToModel('model\n  schema 1.1\ntype user\n  relations\n    define x: [user] orr y\n')).toThrow(expect.objectContaining({ code: 'invalid_authorization_model' }));
    expect(() => dslToModel('model\n  schema 1.1\ntype doc\n  relations\n    define viewer: [usr]\n')).toThrow(expect.objectContaining({ code: 'invalid_authorization_model', message: expect.stringMatching(/line/) }));
  });
});
