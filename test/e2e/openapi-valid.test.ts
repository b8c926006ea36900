import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness } from '../helpers/harness.ts';

const CHECK = `
import json, sys
from openapi_spec_validator import validate
validate(json.load(open(sys.argv[1])))
print("valid")
`;

const validatorPresent = spawnSync('python3', ['-c', 'import openapi_spec_validator'], { encoding: 'utf8' }).status === 0;
const required = process.env.PORTCULLIS_REQUIRE_OPENAPI_VALIDATOR === '1';

describe('/openapi.json', () => {
  // The document is checked by an independent validator (Python's openapi-spec-validator,
  // installed by .ci/run). Without it, only this case is skipped, unless CI requires it.
  it.skipIf(!validatorPresent && !required)('is a valid OpenAPI 3.1 document according to openapi-spec-validator', async () => {
    expect(validatorPresent, 'pip install openapi-spec-validator').toBe(true);
    const h = new Harness();
    try {
      const doc = await (await h.request('GET', '/openapi.json', { key: null })).text();
      const file = join(h.dir, 'openapi.json');
      writeFileSync(file, doc);
      const r = spawnSync('python3', ['-c', CHECK, file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('valid');
      const paths = Object.keys(JSON.parse(doc).paths);
      for (const prefix of ['/admin/v1/tenants', '/stores', '/scim/v2/{directory}/Users']) {
        expect(paths.some((p) => p.startsWith(prefix)), prefix).toBe(true);
      }
    } finally {
      await h.close();
    }
  });
});
