// Interface names as small integers. The WASM side compares numbers, so every name a packet can
// carry is mapped to a class: names that no rule tells apart share one. Classes are fixed at
// compile time from the ruleset's patterns (exact names and `prefix*` wildcards) and the names
// the caller gives addresses for:
//   0            names no pattern matches
//   1 … E        one per exact name (rules' exact names, names with interface addresses)
//   E+1 … E+W    one per wildcard prefix W: names whose longest matching wildcard prefix is W
//                and that are not one of the exact names
// A pattern then matches a set of class ids, which the compiler turns into intervals.

export interface IfPattern {
  wildcard: boolean;
  /** The exact name, or the wildcard's prefix. */
  text: string;
}

/** nft's reading of an interface pattern: a trailing `*` is a wildcard unless escaped as `\*`. */
export function parseIfPattern(p: string): IfPattern {
  if (p.endsWith('*') && !p.endsWith('\\*')) return { wildcard: true, text: p.slice(0, -1) };
  return { wildcard: false, text: p.replace(/\\\*$/, '*') };
}

export class IfClasses {
  private readonly exact = new Map<string, number>();
  private readonly wild = new Map<string, number>();
  /** Wildcard prefixes, longest first. */
  private readonly prefixes: string[];
  readonly count: number;

  constructor(patterns: Iterable<string>, extraNames: Iterable<string> = []) {
    const wild = new Set<string>();
    const exact = new Set<string>(extraNames);
    for (const p of patterns) {
      const ip = parseIfPattern(p);
      (ip.wildcard ? wild : exact).add(ip.text);
    }
    let id = 1;
    for (const e of [...exact].sort()) this.exact.set(e, id++);
    this.prefixes = [...wild].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    for (const w of this.prefixes) this.wild.set(w, id++);
    this.count = id;
  }

  classOf(name: string): number {
    const e = this.exact.get(name);
    if (e !== undefined) return e;
    for (const p of this.prefixes) if (name.startsWith(p)) return this.wild.get(p)!;
    return 0;
  }

  /** The classes whose names a pattern matches, ascending. */
  matching(pattern: string): number[] {
    const ip = parseIfPattern(pattern);
    if (!ip.wildcard) {
      const e = this.exact.get(ip.text);
      return e === undefined ? [] : [e];
    }
    const out: number[] = [];
    for (const [name, id] of this.exact) if (name.startsWith(ip.text)) out.push(id);
    for (const [prefix, id] of this.wild) if (prefix.startsWith(ip.text)) out.push(id);
    return out.sort((a, b) => a - b);
  }
}
