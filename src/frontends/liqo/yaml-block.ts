// A fast path for the YAML that Kubernetes tools write (kubectl, Helm, Liqo's own manifests): block
// maps and sequences, one-line plain and quoted scalars, comments, `---`. It reads such text
// straight into the located trees parse.ts builds — same values, same positions — at a fraction
// of the yaml library's cost (its CST, AST and garbage dominate a 10k-rule input). Anything else —
// anchors, aliases, tags, flow collections other than `[]`/`{}`, block or multi-line scalars,
// repeated or merge keys, tabs, directives, odd characters, bad indentation — returns undefined,
// and the yaml library reads the text (and reports what is wrong, located).
//
// Plain scalars are resolved by the yaml library's own YAML 1.1 tags (the ones parse.ts passes
// it), tried in its order, so `yes`, `0x10`, `010`, `.inf`, `~` mean what they mean there; a test
// compares both readers on every fixture.

import type { Pos, Scalar, YEntry, YNode } from './parse.js';

/** A plain scalar's value, or undefined when the library's tags do not settle it. */
export type PlainResolver = (source: string) => Scalar | undefined;

class Bail extends Error {}

/** The trees of the text's documents, or undefined if the text is not in the subset. */
export function readBlockYaml(text: string, maxDepth: number, resolve: PlainResolver): YNode[] | undefined {
  // Control characters, YAML 1.1 line breaks (NEL, LS, PS), tabs, BOM: the library's business.
  if (/[\x00-\x08\x09\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029\ufeff]|\r(?!\n)/.test(text)) return undefined;
  try {
    return new BlockReader(text, maxDepth, resolve).documents();
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}

const bail = (): never => {
  throw new Bail();
};

/** Line kinds: content, `---`, `...`. Blank and comment lines are dropped. */
const CONTENT = 0;
const DOC_START = 1;
const DOC_END = 2;

class BlockReader {
  /** Per kept line: kind, 1-based number, offset of its first character, of its content, its end. */
  private readonly kind: number[] = [];
  private readonly num: number[] = [];
  private readonly lineStart: number[] = [];
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private i = 0;
  private readonly cache = new Map<string, Scalar>();

  constructor(private readonly t: string, private readonly maxDepth: number, private readonly resolver: PlainResolver) {
    let n = 0;
    for (let at = 0; at <= t.length; ) {
      let e = t.indexOf('\n', at);
      if (e < 0) e = t.length;
      n++;
      let s = at;
      while (t.charCodeAt(s) === 32) s++;
      let end = e;
      while (end > s && (t.charCodeAt(end - 1) === 32 || t.charCodeAt(end - 1) === 13)) end--;
      if (end > s && t[s] !== '#') {
        let kind = CONTENT;
        if (s === at && (t.startsWith('---', s) || t.startsWith('...', s))) {
          if (end !== s + 3) bail(); // content after the marker
          kind = t[s] === '-' ? DOC_START : DOC_END;
        } else if (s === at && t[s] === '%') bail(); // a directive
        this.kind.push(kind);
        this.num.push(n);
        this.lineStart.push(at);
        this.start.push(s);
        this.end.push(end);
      }
      at = e + 1;
    }
  }

  documents(): YNode[] {
    const out: YNode[] = [];
    const count = this.kind.length;
    while (this.i < count) {
      if (this.kind[this.i] !== CONTENT) {
        this.i++;
        continue;
      }
      const ind = this.indent(this.i);
      if (ind !== 0) bail();
      out.push(this.block(ind, 0));
      if (this.i < count && this.kind[this.i] === CONTENT) bail(); // left over: bad indentation
    }
    return out;
  }

  private indent(i: number): number {
    return this.start[i]! - this.lineStart[i]!;
  }

  private pos(offset: number, i = this.i): Pos {
    return { line: this.num[i]!, column: offset - this.lineStart[i]! + 1 };
  }

  /** Whether line i (content) at its current start is a sequence entry `- …` or `-`. */
  private isDash(i: number): boolean {
    const s = this.start[i]!;
    return this.t[s] === '-' && (s + 1 === this.end[i] || this.t[s + 1] === ' ');
  }

  /** At a content line whose indentation is ind. */
  private block(ind: number, depth: number): YNode {
    if (depth > this.maxDepth) bail();
    return this.isDash(this.i) ? this.seq(ind, depth) : this.map(ind, depth);
  }

  private here(ind: number): boolean {
    return this.i < this.kind.length && this.kind[this.i] === CONTENT && this.indent(this.i) === ind;
  }

  private seq(ind: number, depth: number): YNode {
    const items: YNode[] = [];
    const pos = this.pos(this.start[this.i]!);
    while (this.here(ind) && this.isDash(this.i)) {
      const line = this.i;
      let k = this.start[line]! + 1;
      while (this.t.charCodeAt(k) === 32) k++;
      const e = this.end[line]!;
      if (k >= e || this.t[k] === '#') bail(); // `-` alone: its value on the next lines
      if (this.t[k] === '-' && (k + 1 === e || this.t[k + 1] === ' ')) bail(); // `- - x`
      if (this.keyEnd(k, e) >= 0) {
        // `- key: value`: a map whose keys sit at the column of the first one.
        this.start[line] = k;
        items.push(this.map(k - this.lineStart[line]!, depth + 1));
      } else {
        items.push(this.inline(k, e, line));
        this.i++;
        this.noDeeper(ind);
      }
    }
    // A line at ind that is no entry belongs to the parent map (`key:` with `- …` at its indent).
    this.noDeeper(ind);
    return { kind: 'seq', items, pos };
  }

  private map(ind: number, depth: number): YNode {
    if (depth > this.maxDepth) bail();
    const entries = new Map<string, YEntry>();
    const pos = this.pos(this.start[this.i]!);
    while (this.here(ind) && !this.isDash(this.i)) {
      const line = this.i;
      const s = this.start[line]!;
      const e = this.end[line]!;
      const colon = this.keyEnd(s, e);
      if (colon < 0) bail();
      const key = this.key(s, colon);
      if (entries.has(key)) bail(); // the library reports it, located
      const keyPos = this.pos(s);
      let k = colon + 1;
      while (this.t.charCodeAt(k) === 32) k++;
      let value: YNode;
      if (k < e) {
        if (this.t[k] === '#') bail();
        value = this.inline(k, e, line);
        this.i++;
        this.noDeeper(ind);
      } else {
        const after = this.t.charCodeAt(colon + 1);
        if (colon + 1 !== e || after === 32) bail(); // trailing spaces move where the library puts the null
        this.i++;
        const next = this.i < this.kind.length && this.kind[this.i] === CONTENT ? this.indent(this.i) : -1;
        if (next > ind) value = this.block(next, depth + 1);
        else if (next === ind && this.isDash(this.i)) value = this.seq(ind, depth + 1);
        else value = { kind: 'scalar', value: null, pos: this.pos(colon + 1, line) };
      }
      entries.set(key, { key, keyPos, value });
    }
    this.noDeeper(ind - 1);
    return { kind: 'map', entries, pos };
  }

  /** After a one-line value, the next line may not be deeper (that would continue the scalar). */
  private noDeeper(ind: number): void {
    if (this.i < this.kind.length && this.kind[this.i] === CONTENT && this.indent(this.i) > ind) bail();
  }

  /** Offset of the `:` ending a plain or quoted key starting at s, or -1 if the line is no entry. */
  private keyEnd(s: number, e: number): number {
    const t = this.t;
    const c = t[s]!;
    if (c === '"' || c === "'") {
      const close = t.indexOf(c, s + 1);
      if (close < 0 || close >= e) return -1;
      return t[close + 1] === ':' && (close + 2 === e || t[close + 2] === ' ') ? close + 1 : -1;
    }
    for (let k = s; k < e; k++) {
      if (t.charCodeAt(k) === 58 && (k + 1 === e || t.charCodeAt(k + 1) === 32)) return k;
      if (t.charCodeAt(k) === 35 && k > s && t.charCodeAt(k - 1) === 32) return -1; // a comment
    }
    return -1;
  }

  private key(s: number, colon: number): string {
    const c = this.t[s]!;
    if (c === '"' || c === "'") {
      const v = this.quoted(s, colon);
      if (v.end !== colon) bail();
      return v.value;
    }
    let end = colon;
    while (this.t.charCodeAt(end - 1) === 32) end--;
    const src = this.t.slice(s, end);
    if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(src) || src === '<<') bail();
    return String(this.plain(src));
  }

  /** A value on the rest of the line: a quoted or plain scalar, `[]` or `{}`. */
  private inline(k: number, e: number, line: number): YNode {
    const t = this.t;
    const pos = this.pos(k, line);
    const c = t[k]!;
    if (c === '"' || c === "'") {
      const v = this.quoted(k, e);
      let after = v.end;
      while (t.charCodeAt(after) === 32) after++;
      if (after < e && !(t[after] === '#' && after > v.end)) bail();
      return { kind: 'scalar', value: v.value, pos };
    }
    if (c === '[' || c === '{') {
      const rest = t.slice(k + 1, e).trimStart();
      if (!rest.startsWith(c === '[' ? ']' : '}') || !/^.\s*(#.*)?$/.test(rest)) bail();
      return c === '[' ? { kind: 'seq', items: [], pos } : { kind: 'map', entries: new Map(), pos };
    }
    if (/[-?:,\]}#&*!|>%@`]/.test(c)) {
      // Indicators; `-`, `?` and `:` start a plain scalar when a non-space follows (`-1`, `:x`).
      if (!((c === '-' || c === '?' || c === ':') && k + 1 < e && t[k + 1] !== ' ')) bail();
    }
    let end = k;
    while (end < e && !(t.charCodeAt(end) === 35 && t.charCodeAt(end - 1) === 32)) end++; // up to a comment
    while (t.charCodeAt(end - 1) === 32) end--;
    const src = t.slice(k, end);
    if (src.includes(': ') || src.endsWith(':') || src === '<<') bail();
    return { kind: 'scalar', value: this.plain(src), pos };
  }

  /** A one-line quoted scalar starting at s (before e): its value and the offset after it. */
  private quoted(s: number, e: number): { value: string; end: number } {
    const t = this.t;
    if (t[s] === "'") {
      let k = s + 1;
      for (;;) {
        const q = t.indexOf("'", k);
        if (q < 0 || q >= e) bail();
        if (t[q + 1] === "'") {
          k = q + 2;
          continue;
        }
        return { value: t.slice(s + 1, q).replace(/''/g, "'"), end: q + 1 };
      }
    }
    let k = s + 1;
    while (k < e && t[k] !== '"') k += t[k] === '\\' ? 2 : 1;
    if (k >= e) bail();
    const body = t.slice(s, k + 1);
    let value: unknown;
    try {
      value = body.includes('\\') ? JSON.parse(body) : body.slice(1, -1); // JSON's escapes mean the same in YAML
    } catch {
      bail(); // YAML-only escapes (\x41, \e, \N …)
    }
    return { value: value as string, end: k + 1 };
  }

  private plain(src: string): Scalar {
    let v = this.cache.get(src);
    if (v === undefined && !this.cache.has(src)) {
      v = this.resolver(src);
      if (v === undefined) bail();
      this.cache.set(src, v!);
    }
    return v!;
  }
}
