// The shared corpora (fixtures, real-world rulesets, ClassBench data) live beside the repository,
// in ../shared, not in it: a clone standing alone has none. Tests over them run when the corpus is
// there; otherwise they are left out, and the run says so once (`noticeMissingCorpora`, vitest's
// global setup). In CI (CI=true) a missing corpus is a failure, never a silent skip. The project's
// own tests never go through here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder beside the repository that holds the shared corpora. */
const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));

/**
 * The path of a shared corpus (`fixtures/liqo`, `data/classbench`…, a folder or a file) relative
 * to ../shared, with a trailing slash for folders as given; undefined when it is not there.
 */
export function sharedCorpus(rel: string): string | undefined {
  const path = SHARED + rel;
  if (existsSync(path)) return path;
  if (process.env.CI) throw new Error(`shared corpus ${rel} is missing beside the repository (../shared/${rel}): CI runs every corpus test`);
  return undefined;
}

/** Says once per run (from the global setup) when the shared corpora are missing. */
export function noticeMissingCorpora(): void {
  if (existsSync(SHARED)) return;
  if (process.env.CI) throw new Error('the shared corpora (../shared beside the repository) are missing: CI runs every corpus test');
  console.warn('notice: no ../shared beside the repository: the tests over the shared corpora (fixtures, ClassBench data) are left out; the project\'s own tests run');
}
