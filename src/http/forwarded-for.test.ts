import { describe, expect, it } from 'vitest';
import { forwardedFor } from './request-context.ts';

describe('the client IP behind trusted proxies (X-Forwarded-For)', () => {
  it('takes the entry the outermost trusted proxy appended, never one the client wrote', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; nginx ($proxy_add_x_forwarded_for) or an AWS ALB appended the address it saw.
    expect(forwardedFor('6.6.6.6, 203.0.113.7', 1)).toBe('203.0.113.7');
    // Two proxies of ours (a CDN, then a load balancer): the CDN saw the client.
    expect(forwardedFor('6.6.6.6, 203.0.113.7, 10.0.0.5', 2)).toBe('203.0.113.7');
    // Fewer entries than proxies: the leftmost, all of them were added by ours.
    expect(forwardedFor('203.0.113.7', 2)).toBe('203.0.113.7');
    expect(forwardedFor(' 203.0.113.7 ,, ', 1)).toBe('203.0.113.7');
  });

  it('reads nothing when no proxy is trusted, or there is no header', () => {
    expect(forwardedFor('203.0.113.7', 0)).toBeUndefined();
    expect(forwardedFor(undefined, 1)).toBeUndefined();
    expect(forwardedFor('', 1)).toBeUndefined();
  });
});
