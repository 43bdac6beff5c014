// Kernel tests run for real wherever they can: as root with nft and iproute2. Elsewhere they are
// skipped with the reason — except in CI (CI=true), where a missing kernel is a failure.
import { afterAll, beforeAll } from 'vitest';
import { kernelAvailable, Netns } from '../../src/backends/netns/netns.js';

const reason = await kernelAvailable();
if (reason && process.env.CI) throw new Error(`kernel tests cannot run in CI: ${reason}`);
if (reason) console.warn(`skipping kernel tests: ${reason} (run as root with nft and iproute2 installed)`);

/** Pass to `describe.skipIf(noKernel)`. */
export const noKernel = reason !== undefined;

/** Why kernel tests cannot run here, or undefined when they can. */
export const kernelReason = reason;

/**
 * A throwaway namespace for the enclosing describe block: made before its tests (its own beforeAll,
 * registered first, so later hooks of the block can use it) and removed after them. The value
 * stands for the namespace once it exists.
 */
export function suiteNetns(prefix: string): Netns {
  let ns: Netns | undefined;
  beforeAll(async () => {
    ns = await Netns.create(prefix);
  });
  afterAll(async () => {
    await ns?.dispose();
  });
  return new Proxy({} as Netns, {
    get(_target, key) {
      if (!ns) throw new Error(`the namespace of this block (${prefix}) is made in beforeAll: use it inside hooks and tests`);
      const v: unknown = Reflect.get(ns, key, ns);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(ns) : v;
    },
  });
}
