import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('info', dest), text: () => lines.join('') };
}

// Review finding: redaction matched only lower-case `headers.authorization` and top-level keys.
describe('log redaction', () => {
  it('redacts credentials in headers whatever their case, at the top level or one object down', () => {
    const { logger, text } = capture();
    logger.info({
      headers: { Authorization: 'Bearer SECRET-A', Cookie: 'sid=SECRET-B', 'set-cookie': 'sid=SECRET-C' },
      req: { headers: { authorization: 'Bearer SECRET-D', cookie: 'sid=SECRET-E' } },
      err: { headers: { Authorization: 'Basic SECRET-F' } },
      Authorization: 'Bearer SECRET-G',
      cookie: 'sid=SECRET-H',
    }, 'x');
    expect(text()).not.toMatch(/SECRET/);
    expect(text()).toContain('[redacted]');
  });

  it('redacts OAuth, SCIM and SAML secrets nested one object down, such as in an error', () => {
    const { logger, text } = capture();
    logger.error({
      err: Object.assign(new Error('token exchange failed'), { client_secret: 'SECRET-1', refresh_token: 'SECRET-2', id_token: 'SECRET-3' }),
      body: { access_token: 'SECRET-4', password: 'SECRET-5', SAMLResponse: 'SECRET-6', code_verifier: 'SECRET-7' },
      id_token: 'SECRET-8',
      SAMLResponse: 'SECRET-9',
      private_key: 'SECRET-10',
    }, 'y');
    expect(text()).not.toMatch(/SECRET/);
    expect(text()).toContain('token exchange failed');
  });

  it('keeps the non-secret fields the service logs', () => {
    const { logger, text } = capture();
    logger.warn({ request_id: 'req_1', code: 'idp_unavailable', status: 502, connection_id: 'con_1', client_id: 'app_1' }, 'z');
    expect(JSON.parse(text())).toMatchObject({ request_id: 'req_1', code: 'idp_unavailable', status: 502, connection_id: 'con_1', client_id: 'app_1' });
  });
});
