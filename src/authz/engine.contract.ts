import { afterAll, beforeAll, describe } from 'vitest';
import type { AuthzEngine } from './engine.ts';
import { registerModelAndTupleContract } from './contract/models-and-tuples.ts';
import { registerQueryContract } from './contract/queries.ts';
import type { ContractContext } from './contract/fixture.ts';

/** What a contract run needs: an engine, and a way to release what it holds. */
export interface EngineFixture {
  engine: AuthzEngine;
  close?(): Promise<void>;
}

/**
 * The behaviour every AuthzEngine implementation shares, as a vitest suite: models, atomic
 * writes, paginated reads, the changelog, Check (with conditions and contextual tuples),
 * BatchCheck, ListObjects, ListUsers, Expand, error codes, and the deprovisioning hook. Each
 * case works in a store of its own. Only what OpenFGA itself observably does is asserted, so
 * the same suite runs against the embedded engine and against a real OpenFGA server.
 */
export function describeEngineContract(name: string, makeEngine: () => Promise<EngineFixture> | EngineFixture): void {
  describe(`AuthzEngine contract: ${name}`, () => {
    let fixture: EngineFixture | undefined;
    const ctx: ContractContext = {
      get engine() {
        if (!fixture) throw new Error('engine fixture not ready');
        return fixture.engine;
      },
    };
    beforeAll(async () => {
      fixture = await makeEngine();
    });
    afterAll(async () => {
      await fixture?.close?.();
    });
    registerModelAndTupleContract(ctx);
    registerQueryContract(ctx);
  });
}
