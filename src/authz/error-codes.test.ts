import { describe, expect, it } from 'vitest';
import { errorNameOf, errorNumberOf, httpStatusOf, OPENFGA_ERROR_CODES } from './error-codes.ts';
import { fgaError } from './errors.ts';

describe('OpenFGA error codes', () => {
  it('maps the numeric codes of the YAML suites to the names of the HTTP API and back', () => {
    expect(errorNameOf(2000)).toBe('validation_error');
    expect(errorNameOf(2002)).toBe('authorization_model_resolution_too_complex');
    expect(errorNameOf(2021)).toBe('type_not_found');
    expect(errorNameOf(2022)).toBe('relation_not_found');
    expect(errorNameOf(2027)).toBe('invalid_tuple');
    expect(errorNameOf(1234)).toBeUndefined();
    for (const [name, code] of Object.entries(OPENFGA_ERROR_CODES)) expect(errorNumberOf(name)).toBe(code);
  });

  it('gives each code the HTTP status OpenFGA answers with', () => {
    expect(httpStatusOf('invalid_tuple')).toBe(400);
    expect(httpStatusOf('store_id_not_found')).toBe(404);
    expect(httpStatusOf('internal_error')).toBe(500);
    expect(fgaError('store_id_not_found', 'Store ID not found')).toMatchObject({ status: 404, code: 'store_id_not_found', expose: true });
  });
});
