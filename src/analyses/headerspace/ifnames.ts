// The interface-name alphabet of a header space: the finite set of names and `prefix*` patterns
// the rulesets mention splits all possible names into classes that no rule tells apart; each
// class gets an id (the iifname/oifname field value) and a representative name for witnesses.
//
//   class of exact name E    = { E }
//   class of prefix P        = names starting with P, not a listed exact name, and not starting
//                              with a longer listed prefix     (P = "" is always listed: "other")
//
// Classes with no possible name (a kernel name has at most 15 bytes) are left out, so a pattern
// that no interface can carry encodes to the empty set. '' (no interface) is in the "other" class.

import { parseIfPattern } from '../../engine/ifnames.js';
import { IFNAMSIZ } from '../../model/values.js';

export interface IfClass {
  kind: 'exact' | 'prefix';
  /** The exact name, or the prefix. */
  text: string;
  /** A name of the class, as readable as we could find. */
  name: string;
}

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');
const MAX_NAME = IFNAMSIZ - 1;
const SUFFIXES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ...'abcdefghijklmnopqrstuvwxyz'];
const OTHER_NAMES = ['eth0', 'ens3', 'wlan0', 'if0', 'if1', 'if2', 'x0', 'x1', ''];

export class IfnameAlphabet {
  readonly classes: readonly IfClass[];
  /** Bits of the field: enough for every class id, at least 1. */
  readonly bits: number;
  private readonly exact = new Map<string, number>();
  private readonly prefix = new Map<string, number>();
  /** Listed prefixes, longest first. */
  private readonly prefixes: string[];
  private readonly patterns: Set<string>;

  constructor(patterns: Iterable<string>) {
    this.patterns = new Set(patterns);
    const exact = new Set<string>();
    const prefixes = new Set<string>(['']);
    for (const p of this.patterns) {
      const ip = parseIfPattern(p);
      if (!ip.wildcard) {
        if (ip.text.length > 0 && byteLength(ip.text) <= MAX_NAME) exact.add(ip.text);
      } else if (byteLength(ip.text) <= MAX_NAME) prefixes.add(ip.text);
    }
    this.prefixes = [...prefixes].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    const classes: IfClass[] = [];
    const other = this.representative('', exact);
    if (other !== undefined) classes.push({ kind: 'prefix', text: '', name: other });
    for (const e of [...exact].sort()) classes.push({ kind: 'exact', text: e, name: e });
    for (const p of [...prefixes].sort()) {
      if (p === '') continue;
      const name = this.representative(p, exact);
      if (name !== undefined) classes.push({ kind: 'prefix', text: p, name });
    }
    classes.forEach((c, id) => (c.kind === 'exact' ? this.exact : this.prefix).set(c.text, id));
    this.classes = classes;
    this.bits = Math.max(1, Math.ceil(Math.log2(classes.length)));
  }

  /** The longest listed prefix a name starts with. */
  private longestPrefix(name: string): string {
    return this.prefixes.find((p) => name.startsWith(p))!;
  }

  private representative(p: string, exact: Set<string>): string | undefined {
    const fits = (n: string) => byteLength(n) <= MAX_NAME && !exact.has(n) && this.longestPrefix(n) === p;
    const candidates = p === '' ? OTHER_NAMES : [...SUFFIXES.map((s) => p + s), p, ...SUFFIXES.flatMap((a) => SUFFIXES.map((b) => p + a + b))];
    return candidates.find(fits);
  }

  /** Whether the alphabet was built with this pattern (only those encode exactly). */
  knows(pattern: string): boolean {
    return this.patterns.has(pattern);
  }

  /** The class a concrete name belongs to ('' = no interface). */
  classOf(name: string): number {
    const e = this.exact.get(name);
    if (e !== undefined) return e;
    const id = this.prefix.get(this.longestPrefix(name));
    if (id === undefined) throw new Error(`interface name "${name}" is in no class`);
    return id;
  }

  /** The class ids a known pattern matches. */
  matching(pattern: string): number[] {
    const ip = parseIfPattern(pattern);
    if (!ip.wildcard) {
      const e = this.exact.get(ip.text);
      return e === undefined ? [] : [e];
    }
    return this.classes.flatMap((c, id) => (c.text.startsWith(ip.text) ? [id] : []));
  }

  /** How a class reads in a description: the name, `prefix*`, or `other`. */
  label(id: number): string {
    const c = this.classes[id]!;
    return c.kind === 'exact' ? c.text : c.text === '' ? 'other' : `${c.text}*`;
  }
}
