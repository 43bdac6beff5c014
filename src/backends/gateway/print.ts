// A table listing's print: the sha256 of nft's own JSON text for one table, with what changes
// without the table changing taken out — rule and object handles, the values of anonymous
// counters and the `seen=` of the owner mark — read straight from the text, without parsing it.
// After a verified write the mark records the print of the listing it verified (`seen=`), so a
// converged check of a 10k-rule table costs nft's listing and one hash: no JSON parse, no form.
// nft prints JSON with fixed separators (`", "`, `": "`) and escapes every `"` inside a string,
// so these patterns can only meet keys and values, never the inside of a string.

import { createHash } from 'node:crypto';
import { OWNER_CHAIN } from './owner.js';

const HANDLE = /, "handle": \d+/g;
const COUNTER = /\{"counter": \{"packets": \d+, "bytes": \d+\}\}/g;
const MARKER_RULE = `"chain": "${OWNER_CHAIN}", "handle": `;
const MARKER = new RegExp(`"chain": "${OWNER_CHAIN}", "handle": \\d+, "comment": "(nftlens/v1 [^"\\\\]*)"`);
const SEEN = new RegExp(`("chain": "${OWNER_CHAIN}", "comment": "nftlens/v1 [^"\\\\ ]+ [^"\\\\ ]+) seen=[0-9a-f]+"`);

export interface ListingPrint {
  /** sha256 of the listing without handles, counter values and the mark's seen=, 24 hex digits. */
  print: string;
  /** The comment of the owner chain's rule, when the chain holds exactly one rule. */
  markComment?: string;
}

/** The print of `nft -j list table` output for one table. */
export function listingPrint(text: string): ListingPrint {
  const stable = text.replace(HANDLE, '').replace(COUNTER, '{"counter": null}').replace(SEEN, '$1"');
  const print = createHash('sha256').update(stable).digest('hex').slice(0, 24);
  const first = text.indexOf(MARKER_RULE);
  const single = first >= 0 && text.indexOf(MARKER_RULE, first + 1) < 0;
  const markComment = single ? MARKER.exec(text)?.[1] : undefined;
  return markComment === undefined ? { print } : { print, markComment };
}
