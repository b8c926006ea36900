/**
 * A refused login. `reason` is precise and goes to the audit log; the person signing in only
 * ever sees a generic message with a reference.
 */
export class LoginFailure extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
    /** `userId` and `directoryId`, when set, go to the audit event with the reason. */
    readonly context: { tenantId?: string; connectionId?: string; userId?: string; directoryId?: string; interactionUid?: string | null } = {},
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'LoginFailure';
  }
}

export const GENERIC_LOGIN_FAILURE = 'Sign-in could not be completed. Contact your administrator and quote the reference below.';
