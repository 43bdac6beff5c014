// Kernel tests run for real wherever they can: as root with nft and iproute2. Elsewhere they are
// skipped with the reason — except in CI (CI=true), where a missing kernel is a failure.
import { kernelAvailable } from '../../src/backends/netns/netns.js';

const reason = await kernelAvailable();
if (reason && process.env.CI) throw new Error(`kernel tests cannot run in CI: ${reason}`);
if (reason) console.warn(`skipping kernel tests: ${reason} (run as root with nft and iproute2 installed)`);

/** Pass to `describe.skipIf(noKernel)`. */
export const noKernel = reason !== undefined;

/** Why kernel tests cannot run here, or undefined when they can. */
export const kernelReason = reason;
