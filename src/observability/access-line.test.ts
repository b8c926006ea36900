import { describe, expect, it } from 'vitest';
import { accessLine } from './access-line.ts';

const base = { requestId: 'req_1', method: 'GET', path: '/admin/v1/tenants/t1', route: '/admin/v1/tenants/:tenant', status: 200, durationMs: 0.42 };

describe('accessLine', () => {
  it('writes one JSON line with the logger\'s envelope and every field given', () => {
    const line = accessLine({ ...base, tenantId: 'ten_1', principal: { kind: 'tenant', credentialId: 'key_1' }, ip: '127.0.0.1' });
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toEqual({
      level: 'info', time: expect.any(String), service: 'portcullis', request_id: 'req_1', method: 'GET',
      path: '/admin/v1/tenants/t1', route: '/admin/v1/tenants/:tenant', status: 200, duration_ms: 0.42,
      tenant_id: 'ten_1', principal: { kind: 'tenant', credential_id: 'key_1' }, ip: '127.0.0.1', msg: 'request',
    });
    expect(Math.abs(Date.parse(parsed.time as string) - Date.now())).toBeLessThan(5000);
    expect(Object.keys(parsed)).toEqual(['level', 'time', 'service', 'request_id', 'method', 'path', 'route', 'status', 'duration_ms', 'tenant_id', 'principal', 'ip', 'msg']);
  });

  it('leaves absent fields out and writes a null ip as null', () => {
    const parsed = JSON.parse(accessLine({ ...base, ip: null })) as Record<string, unknown>;
    expect(parsed).not.toHaveProperty('tenant_id');
    expect(parsed).not.toHaveProperty('principal');
    expect(parsed.ip).toBeNull();
    expect(JSON.parse(accessLine(base))).not.toHaveProperty('ip');
  });

  it('escapes whatever a client can put in the path, so a line can never be split or forged', () => {
    const hostile = [
      '/a"b\\c',
      '/x\n{"level":"error","msg":"forged"}',
      '/tab\there\r\u0000\u001f\u007f',
      '/ünïcödé/日本/\u2028\u2029',
      '/lone\ud800surrogate',
      '/%22%5C',
    ];
    for (const path of hostile) {
      const line = accessLine({ ...base, path, route: path });
      expect(line.indexOf('\n'), JSON.stringify(path)).toBe(line.length - 1);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.path).toBe(JSON.parse(JSON.stringify(path)));
      expect(parsed.msg).toBe('request');
      expect(parsed.level).toBe('info');
    }
  });

  it('writes numbers as JSON numbers', () => {
    const parsed = JSON.parse(accessLine({ ...base, status: 503, durationMs: 1234.56 })) as Record<string, unknown>;
    expect(parsed.status).toBe(503);
    expect(parsed.duration_ms).toBe(1234.56);
  });
});
