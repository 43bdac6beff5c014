// Table ownership. nft 1.0.6 drops table and chain comments given in JSON, so the mark lives in
// a rule comment: each table nftlens writes holds a regular chain `nftlens-owner` (never jumped
// to, so it changes no packet) with one rule `accept comment "nftlens/v1 owner=O digest=D"`.
// D is the fingerprint of the intent table's form as rendered for nft (form.ts): equal digests
// mean the same rendered intent. After a verified write the mark gets `seen=P`: the print of the
// listing found to hold intent D (print.ts; the form's fingerprint when the table was listed with
// others), so that a later listing with the same print, under the same D, holds the intent
// without being parsed or imported again.

import { NftlensError } from '../../model/diagnostics.js';
import type { Table } from '../../model/ruleset.js';
import { tableId } from '../../model/ruleset.js';
import type { OwnerMark } from './types.js';

export const OWNER_CHAIN = 'nftlens-owner';
export const OWNER_DEFAULT = 'nftlens';
const OWNER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/; // the whole mark stays within nft's 128-byte comments
const MARK = /^nftlens\/v1 owner=([A-Za-z0-9][A-Za-z0-9._-]{0,39}) digest=([0-9a-f]{24})(?: seen=([0-9a-f]{24}))?$/;

export function checkOwnerName(owner: string): void {
  if (!OWNER_NAME.test(owner)) {
    throw NftlensError.of('GATEWAY_OWNER', `owner ${JSON.stringify(owner)} must be 1–40 letters, digits, '.', '_' or '-'`, { field: '--owner' });
  }
}

export function ownerComment(m: OwnerMark): string {
  return `nftlens/v1 owner=${m.owner} digest=${m.digest}${m.seen ? ` seen=${m.seen}` : ''}`;
}

export function parseOwnerComment(s: string | undefined): OwnerMark | undefined {
  const m = s === undefined ? null : MARK.exec(s);
  if (!m) return undefined;
  return m[3] ? { owner: m[1]!, digest: m[2]!, seen: m[3] } : { owner: m[1]!, digest: m[2]! };
}

/** The command that rewrites the marker rule (found by its handle in a listing) with a new mark. */
export function markerUpdate(raw: readonly object[], m: OwnerMark): object | undefined {
  const rule = raw.map((o) => (o as { rule?: { family: string; table: string; chain: string; handle: number } }).rule).find((r) => r?.chain === OWNER_CHAIN);
  if (!rule) return undefined;
  const { family, table, chain, handle } = rule;
  return { replace: { rule: { family, table, chain, handle, expr: [{ accept: null }], comment: ownerComment(m) } } };
}

/** The mark of an imported kernel table: the one rule of its `nftlens-owner` chain. */
export function readMark(t: Table): OwnerMark | undefined {
  const c = t.chains.find((x) => x.name === OWNER_CHAIN);
  if (!c || c.base || c.rules.length !== 1) return undefined;
  return parseOwnerComment(c.rules[0]!.comment);
}

export function stripMarker(t: Table): Table {
  return { ...t, chains: t.chains.filter((c) => c.name !== OWNER_CHAIN) };
}

/** The nft JSON commands that add the marker chain and rule to a table being written. */
export function markerCommands(t: Pick<Table, 'family' | 'name'>, m: OwnerMark): object[] {
  const where = { family: t.family, table: t.name };
  return [
    { add: { chain: { ...where, name: OWNER_CHAIN } } },
    { add: { rule: { ...where, chain: OWNER_CHAIN, expr: [{ accept: null }], comment: ownerComment(m) } } },
  ];
}

/** An input table may not use the marker's chain name. */
export function checkReserved(t: Table): void {
  const c = t.chains.find((x) => x.name === OWNER_CHAIN);
  if (c) {
    throw NftlensError.of('GATEWAY_RESERVED', `chain name ${OWNER_CHAIN} is reserved for nftlens's ownership marker`, {
      ...c.origin, table: tableId(t), chain: c.name,
    });
  }
}
