// A fast path for JSON input (`kubectl get … -o json`): reads strict JSON straight into the
// located trees parse.ts builds from YAML, with the same positions (keys and values at their
// first character) and the same rules (repeated keys and nesting beyond the limit are errors).
// Any text that is not strict JSON returns undefined, and the YAML reader takes it.

import type { Pos, YEntry, YNode } from './parse.js';

export class JsonTreeError extends Error {
  constructor(message: string, readonly pos: Pos) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** The tree of a strict JSON text, undefined if it is not JSON; throws JsonTreeError on limits. */
export function readJsonTree(text: string, maxDepth: number): YNode | undefined {
  const r = new JsonReader(text, maxDepth);
  try {
    r.space();
    const node = r.value(0);
    r.space();
    return r.at === text.length ? node : undefined;
  } catch (e) {
    if (e instanceof NotJson) return undefined;
    throw e;
  }
}

class NotJson extends Error {}

class JsonReader {
  at = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string, private readonly maxDepth: number) {}

  space(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (c === 10) {
        this.at++;
        this.line++;
        this.lineStart = this.at;
      } else if (c === 32 || c === 9 || c === 13) this.at++;
      else return;
    }
  }

  private pos(): Pos {
    return { line: this.line, column: this.at - this.lineStart + 1 };
  }

  value(depth: number): YNode {
    const pos = this.pos();
    const c = this.text[this.at];
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) throw new JsonTreeError(`JSON nested deeper than ${this.maxDepth} levels`, pos);
      return c === '{' ? this.object(depth, pos) : this.array(depth, pos);
    }
    if (c === '"') return { kind: 'scalar', value: this.string(), pos };
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return { kind: 'scalar', value, pos };
      }
    }
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(this.text);
    if (!m) throw new NotJson();
    this.at += m[0].length;
    return { kind: 'scalar', value: Number(m[0]), pos };
  }

  private string(): string {
    STRING.lastIndex = this.at;
    const m = STRING.exec(this.text);
    if (!m) throw new NotJson();
    this.at += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  private object(depth: number, pos: Pos): YNode {
    this.at++; // {
    const entries = new Map<string, YEntry>();
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return { kind: 'map', entries, pos };
    }
    for (;;) {
      this.space();
      const keyPos = this.pos();
      if (this.text[this.at] !== '"') throw new NotJson();
      const key = this.string();
      if (entries.has(key)) throw new JsonTreeError(`map key ${JSON.stringify(key)} is repeated`, keyPos);
      this.space();
      if (this.text[this.at++] !== ':') throw new NotJson();
      this.space();
      entries.set(key, { key, keyPos, value: this.value(depth + 1) });
      this.space();
      const c = this.text[this.at++];
      if (c === '}') return { kind: 'map', entries, pos };
      if (c !== ',') throw new NotJson();
    }
  }

  private array(depth: number, pos: Pos): YNode {
    this.at++; // [
    const items: YNode[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return { kind: 'seq', items, pos };
    }
    for (;;) {
      this.space();
      items.push(this.value(depth + 1));
      this.space();
      const c = this.text[this.at++];
      if (c === ']') return { kind: 'seq', items, pos };
      if (c !== ',') throw new NotJson();
    }
  }
}
