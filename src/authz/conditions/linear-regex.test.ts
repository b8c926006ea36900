import { describe, expect, it } from 'vitest';
import { matchesLinear } from './linear-regex.ts';

describe('matches() as RE2 runs it', () => {
  it('answers a catastrophic-backtracking pattern (a backtracking engine takes 2^n steps here and never returns within the test timeout)', () => {
    expect(matchesLinear(`${'a'.repeat(5000)}!`, '^(a+)+$')).toBe(false);
  });

  it('takes RE2 syntax, partial matches, and refuses what RE2 refuses', () => {
    expect(matchesLinear('XabcX', '(?i)ABC')).toBe(true);
    expect(matchesLinear('abc', 'b')).toBe(true);
    expect(matchesLinear('abc', '^b')).toBe(false);
    expect(() => matchesLinear('aa', '(a)\\1')).toThrow(/Invalid regular expression/);
    expect(() => matchesLinear('ab', 'a(?=b)')).toThrow(/Invalid regular expression/);
  });
});
