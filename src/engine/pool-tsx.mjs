// A pool worker's start when nftlens runs from its TypeScript sources (tests, tsx; never from
// dist/): registers tsx in this thread, then loads the worker's .ts module named in workerData.
import { workerData } from 'node:worker_threads';

const { tsImport } = await import('tsx/esm/api');
await tsImport(workerData.entry, import.meta.url);
