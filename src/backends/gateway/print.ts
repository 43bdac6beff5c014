// A table listing's print: the sha256 of nft's own JSON text for one table, with what changes
// without the table changing taken out — rule and object handles, counter values and the `seen=`
// of the owner mark — read straight from the text, without parsing it.
// After a verified write the mark records the print of the listing it verified (`seen=`), so a
// converged check of a 10k-rule table costs nft's listing and one hash: no JSON parse, no form.
// nft prints JSON with fixed separators (`", "`, `": "`) and escapes every `"` inside a string,
// so these patterns can only meet keys and values, never the inside of a string.

import { createHash } from 'node:crypto';
import { OWNER_CHAIN } from './owner.js';

/** What changes without the table changing: handles, and counter values (anonymous or named). */
const VOLATILE = /, "handle": \d+|"packets": \d+, "bytes": \d+/g;
const MARKER_RULE = `"chain": "${OWNER_CHAIN}", "handle": `;
const MARKER_SOURCE = `"chain": "${OWNER_CHAIN}", "handle": \\d+, "comment": "(nftlens/v1 [^"\\\\]*)"`;

export interface ListingPrint {
  /** sha256 of the listing without handles, counter values and the mark's seen=, 24 hex digits. */
  print: string;
  /** The comment of the owner chain's rule, when the chain holds exactly one rule. */
  markComment?: string;
}

/** The print of `nft -j list table` output for one table. */
export function listingPrint(text: string): ListingPrint {
  const first = text.indexOf(MARKER_RULE);
  const single = first >= 0 && text.indexOf(MARKER_RULE, first + 1) < 0;
  let markComment: string | undefined;
  if (single) {
    const marker = new RegExp(MARKER_SOURCE, 'y');
    marker.lastIndex = first;
    markComment = marker.exec(text)?.[1];
  }
  const stable = text.replace(VOLATILE, '');
  const hash = createHash('sha256');
  // the mark's seen= is left out of the hash by hashing around it (no copy of the whole text)
  const seen = markComment?.indexOf(' seen=') ?? -1;
  const markerText = `"chain": "${OWNER_CHAIN}", "comment": "`;
  const at = seen >= 0 ? stable.indexOf(markerText + markComment!) : -1;
  if (at >= 0) {
    const cut = at + markerText.length + seen;
    hash.update(stable.slice(0, cut)).update(stable.slice(cut + markComment!.length - seen));
  } else hash.update(stable);
  const print = hash.digest('hex').slice(0, 24);
  return markComment === undefined ? { print } : { print, markComment };
}
