// Vitest global setup: one notice per run when the shared corpora are not beside the repository.
import { noticeMissingCorpora } from '../support/corpus.js';

export default function setup(): void {
  noticeMissingCorpora();
}
