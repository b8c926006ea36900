import { describe, expect, it } from 'vitest';
import { reauthenticationOf } from './reauthentication.ts';

const interaction = (reasons: string[], params: Record<string, unknown> = {}, accountId?: string, name = 'login') => ({
  prompt: { name, reasons },
  params,
  session: accountId ? { accountId } : undefined,
});

describe('what an interaction asks of the IdP', () => {
  it('asks for re-authentication when the app sent prompt=login, with or without a session', () => {
    expect(reauthenticationOf(interaction(['login_prompt', 'no_session']))).toEqual({ reauthenticate: true });
    expect(reauthenticationOf(interaction(['login_prompt'], {}, 'usr_1'))).toEqual({ reauthenticate: true });
  });

  it("asks for re-authentication when the browser's session is older than max_age, and passes max_age on", () => {
    expect(reauthenticationOf(interaction(['max_age'], { max_age: 300 }, 'usr_1'))).toEqual({ reauthenticate: true, maxAge: 300 });
    expect(reauthenticationOf(interaction(['max_age'], { max_age: '300' }, 'usr_1'))).toEqual({ reauthenticate: true, maxAge: 300 });
  });

  it('does not force a first sign-in, even one with max_age (the provider reports max_age without a session too)', () => {
    expect(reauthenticationOf(interaction(['no_session']))).toEqual({ reauthenticate: false });
    expect(reauthenticationOf(interaction(['no_session', 'max_age'], { max_age: 300 }))).toEqual({ reauthenticate: false, maxAge: 300 });
  });

  it('ignores a max_age that is not a whole number of seconds, and reasons of other prompts', () => {
    expect(reauthenticationOf(interaction(['no_session'], { max_age: '5e3' }))).toEqual({ reauthenticate: false });
    expect(reauthenticationOf(interaction(['session_not_for_this_tenant'], {}, 'usr_1'))).toEqual({ reauthenticate: false });
    expect(reauthenticationOf(interaction(['login_prompt'], {}, 'usr_1', 'consent'))).toEqual({ reauthenticate: false });
  });
});
