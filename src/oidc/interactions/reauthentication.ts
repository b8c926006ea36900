/** What of the app's authorization request an interaction's IdP leg must honour (OIDC Core 3.1.2.1). */
export interface Reauthentication {
  /** The IdP must authenticate the person again (SAML `ForceAuthn`, OIDC `prompt=login`). */
  reauthenticate: boolean;
  /** The app's `max_age` in seconds, when it gave one (passed on to an OIDC IdP). */
  maxAge?: number;
}

interface InteractionView {
  prompt: { name: string; reasons: string[] };
  params: Record<string, unknown>;
  session?: { accountId?: string } | undefined;
}

/**
 * From the provider's interaction details: re-authentication is asked for when the app sent
 * `prompt=login` (reason `login_prompt`), or a `max_age` the browser's session exceeds (reason
 * `max_age` with a session; without one the provider reports `max_age` too, but that is a first
 * sign-in, which must not make every SSO sign-in prompt at the IdP).
 */
export function reauthenticationOf(i: InteractionView): Reauthentication {
  const reasons = i.prompt.name === 'login' ? i.prompt.reasons : [];
  const exceeded = reasons.includes('max_age') && Boolean(i.session?.accountId);
  const raw = i.params.max_age;
  const maxAge = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : undefined;
  return { reauthenticate: reasons.includes('login_prompt') || exceeded, ...(maxAge !== undefined && Number.isSafeInteger(maxAge) ? { maxAge } : {}) };
}
