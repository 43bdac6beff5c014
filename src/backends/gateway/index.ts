// The gateway applier: put an intent (loaded policies) on a gateway's nftables in one
// transaction, prove the kernel holds it (structure and exact behaviour), roll back when it does
// not, and report Kubernetes-condition-shaped status. Everything other modules use is here.
export type * from './types.js';
export { apply } from './apply.js';
export { verify, expectedForms } from './verify.js';
export { listingForm, renderedTable, renderMemo, intentDigest, type TableForm, type Rendered } from './form.js';
export { compareTables, compareState, canonMemo, sameStructure, type Canon } from './compare.js';
export { planApply, draftPlan, formatPlan, tableChanges } from './plan.js';
export { readOwned, listTableIds, splitId } from './state.js';
export { intentFrom, locateRule } from './intent.js';
export { checkNft, startNftCheck } from './nft-check.js';
export { withLock, lockName } from './lock.js';
export { statusRecords, defaultHost } from './status.js';
export {
  OWNER_CHAIN, OWNER_DEFAULT, ownerComment, parseOwnerComment, markerUpdate,
  readMark, stripMarker, markerCommands,
} from './owner.js';
export { writeBatch, restoreBatch, findRejected, type Batch } from './transaction.js';
export { runNft, runBatch, runTexts, type NftRun } from './nft-run.js';
export { formatApply, formatVerify, applyJson, verifyJson } from './report.js';
