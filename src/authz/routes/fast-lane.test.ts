import { describe, expect, it } from 'vitest';
import { plainCheckBody } from './fast-lane.ts';
import { CheckBody, dropNullFields } from './schemas.ts';

const tuple_key = { user: 'user:anne', relation: 'viewer', object: 'doc:1' };

describe('the Check fast lane', () => {
  it('accepts exactly what the declared schema accepts, and returns what the schema and null-dropping return', () => {
    const bodies: unknown[] = [
      { tuple_key },
      { tuple_key: { ...tuple_key, condition: { name: 'x' }, extra: 1 }, unknown_field: true },
      { tuple_key, authorization_model_id: '01HZZZZZZZZZZZZZZZZZZZZZZZ', trace: false, consistency: 'HIGHER_CONSISTENCY' },
      { tuple_key, authorization_model_id: null, trace: null, context: null, consistency: null, contextual_tuples: null },
      { tuple_key, context: { ip: '10.0.0.1', nested: { a: [1, null] }, empty: null } },
      { tuple_key: { user: '', relation: '', object: '' } },
    ];
    for (const body of bodies) {
      expect(plainCheckBody(body)).toEqual(dropNullFields(CheckBody.parse(body)));
    }
  });

  it('leaves to the declared schema every body it does not vouch for', () => {
    const bodies: unknown[] = [
      null,
      [],
      'check',
      {},
      { tuple_key: null },
      { tuple_key: [] },
      { tuple_key: { user: 'user:anne', relation: 'viewer' } },
      { tuple_key: { ...tuple_key, user: 1 } },
      { tuple_key, authorization_model_id: 5 },
      { tuple_key, trace: 'yes' },
      { tuple_key, context: [] },
      { tuple_key, context: 'x' },
      { tuple_key, consistency: 1 },
      { tuple_key, contextual_tuples: { tuple_keys: [] } },
    ];
    for (const body of bodies) expect(plainCheckBody(body)).toBeUndefined();
  });
});
