import type { Logger } from 'pino';
import type { Principal } from './principal.ts';
import type { ApiError } from './errors.ts';
import type { CostAccount } from './request-cost.ts';

/** Renders an error in the shape of one API surface (admin JSON, SCIM, OpenFGA). */
export type ErrorRenderer = (err: ApiError, requestId: string) => { body: unknown; contentType?: string };

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    clientIp: string | null;
    log: Logger;
    principal: Principal | undefined;
    /** The tenant the request acts in, once resolved (for logs and metrics). */
    tenantId: string | undefined;
    renderError: ErrorRenderer | undefined;
    /** What the route reported this request cost, in ms, for the sign-in budgets (src/http/request-cost.ts). */
    requestCostMs: number | undefined;
    /** The request's address's budget, for work the route times (src/http/request-cost.ts); unset when not budgeted. */
    costAccount: CostAccount | undefined;
  }
}

export {};
