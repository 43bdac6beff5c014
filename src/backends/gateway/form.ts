// A table's form: what nft lists for it, as text that is equal exactly when the listings hold the
// same objects. Each object (table, chain, rule, set…) becomes one JSON text with its handle, its
// counter values and table/chain comments (nft 1.0.6 drops those on JSON input) left out and its
// top-level keys sorted; the ownership marker is left out; the texts are put in a fixed order
// (table, other objects sorted, each chain's rules in chain order). The same function reads the
// intent as nftlens renders it for nft: a listing whose form equals the rendered intent's holds,
// rule for rule, exactly the JSON nftlens wrote — in sync without importing it. Only a listing
// the kernel rewrote (a `/32` dropped, set elements sorted…) or one that drifted differs, and
// goes through the import and the canonical compare (compare.ts).

import { createHash } from 'node:crypto';
import { renderTable } from '../nft/render-json.js';
import type { Table } from '../../model/ruleset.js';
import { OWNER_CHAIN } from './owner.js';

type Json = Record<string, unknown>;

export interface TableForm {
  readonly text: string;
  /** sha256 of text, first 24 hex digits (computed when first asked: most checks compare texts). */
  readonly fingerprint: string;
}

/** The intent table as rendered for nft: its commands, each command's JSON text, and its form. */
export interface Rendered {
  commands: object[];
  texts: string[];
  form: TableForm;
}

const COUNTER = { counter: null };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An anonymous counter statement (`{"counter": {"packets": …, "bytes": …}}`) without its values. */
const anonCounter = (e: unknown): unknown => (isObject(e) && isObject(e.counter) ? COUNTER : e);

function dropped(kind: string, key: string): boolean {
  if (key === 'handle') return true;
  if (kind === 'table' || kind === 'chain') return key === 'comment';
  return kind === 'counter' && (key === 'packets' || key === 'bytes');
}

const RULE_KEYS = new Set(['family', 'table', 'chain', 'handle', 'comment', 'expr']);
const q = JSON.stringify;

/**
 * A rule as objectText writes it, without building the sorted copy (10k-rule tables: this is
 * most of a form's cost); undefined for a rule with other keys, left to objectText.
 */
function ruleText(body: Json): string | undefined {
  for (const k in body) if (!RULE_KEYS.has(k)) return undefined;
  const { chain, comment, expr, family, table } = body;
  if (chain === undefined || expr === undefined || family === undefined || table === undefined) return undefined;
  const exprs = Array.isArray(expr) && expr.some((e) => anonCounter(e) !== e) ? expr.map(anonCounter) : expr;
  return `{"rule":{"chain":${q(chain)}${comment === undefined ? '' : `,"comment":${q(comment)}`},"expr":${q(exprs)},"family":${q(family)},"table":${q(table)}}}`;
}

/** One object `{kind: body}` as normalised JSON text. */
function objectText(kind: string, body: unknown): string {
  if (!isObject(body)) return JSON.stringify({ [kind]: body });
  const rule = kind === 'rule' ? ruleText(body) : undefined;
  if (rule !== undefined) return rule;
  const out: Json = {};
  for (const k of Object.keys(body).sort()) {
    if (dropped(kind, k)) continue;
    const v = body[k];
    out[k] = kind === 'rule' && k === 'expr' && Array.isArray(v) ? v.map(anonCounter) : v;
  }
  return JSON.stringify({ [kind]: out });
}

class Form implements TableForm {
  private hash?: string;
  constructor(readonly text: string) {}
  get fingerprint(): string {
    return (this.hash ??= createHash('sha256').update(this.text).digest('hex').slice(0, 24));
  }
}

/** Collects objects, then orders them: tables, other objects (sorted), rules by chain. */
class FormBuilder {
  private readonly tables = new Set<string>();
  private readonly others: string[] = [];
  private readonly rules = new Map<string, string[]>();

  add(kind: string, body: unknown): string {
    const text = objectText(kind, body);
    const chain = isObject(body) ? body.chain : undefined;
    if (kind === 'table') this.tables.add(text);
    else if (kind === 'rule' && typeof chain === 'string') {
      let list = this.rules.get(chain);
      if (!list) this.rules.set(chain, (list = []));
      list.push(text);
    } else this.others.push(text);
    return text;
  }

  form(): TableForm {
    const chains = [...this.rules.keys()].sort();
    const parts = [...this.tables, ...this.others.sort(), ...chains.flatMap((c) => this.rules.get(c)!)];
    return new Form(parts.join('\n'));
  }
}

function isMarker(kind: string, body: unknown): boolean {
  if (!isObject(body)) return false;
  return (kind === 'chain' && body.name === OWNER_CHAIN) || (kind === 'rule' && body.chain === OWNER_CHAIN);
}

/** The form of a table's listing (`{kind: body}` objects as nft printed them; metainfo ignored). */
export function listingForm(objects: readonly object[]): TableForm {
  const b = new FormBuilder();
  for (const o of objects) {
    const [kind, body] = Object.entries(o)[0] ?? [];
    if (kind === undefined || kind === 'metainfo' || isMarker(kind, body)) continue;
    b.add(kind, body);
  }
  return b.form();
}

/**
 * A table rendered for nft (renderTable), with each command's text: an `add` command's text is
 * `{"add": normalised object}` (the same object for nft: keys reordered, nothing dropped that
 * renderTable writes, as comments of tables and chains are not kept by nft), so the batch is
 * serialised once, here.
 */
export function renderedTable(t: Table): Rendered {
  const commands = renderTable(t);
  const b = new FormBuilder();
  const texts = commands.map((cmd) => {
    const add = (cmd as { add?: Json }).add;
    const [kind, body] = add ? Object.entries(add)[0] ?? [] : [];
    if (kind === undefined) return JSON.stringify(cmd);
    const text = b.add(kind, body);
    return kind === 'table' || kind === 'chain' ? JSON.stringify(cmd) : `{"add":${text}}`;
  });
  return { commands, texts, form: b.form() };
}

/** renderedTable once per table within one apply, verify or watch. */
export function renderMemo(): (t: Table) => Rendered {
  const seen = new WeakMap<Table, Rendered>();
  return (t) => {
    let r = seen.get(t);
    if (!r) seen.set(t, (r = renderedTable(t)));
    return r;
  };
}

/** The digest an ownership mark carries for an intent table: its rendered form's fingerprint. */
export function intentDigest(t: Table): string {
  return renderedTable(t).form.fingerprint;
}
