// The values of a ruleset's matches as numbers where a value is one interval of a field of at most
// 32 bits — one number or number range of an integer field, one IPv4 address or prefix, op `==`,
// no mask —, with each rule's count of leading matches and its verdict when that is all it has:
// the plan reads each rule and value once as it checks them (plan.ts), and the compiler takes
// these (compile.ts) instead of reading the rules and values again (a 100k-rule chain holds some
// 200k address strings). Plain arrays: a plan is posted to worker threads as it is.

import type { Match, MatchField, Rule } from '../model/ruleset.js';
import { FIELDS, ipv4Value } from '../model/values.js';
import { V_ACCEPT, V_DROP, V_REJECT } from './layout.js';

export interface MatchNumbers {
  /** Per rule id, the slot of its first expression (one slot per expression, in order). */
  at: Int32Array;
  /** Per rule id, its leading matches (those before its first other expression). */
  lead: Int32Array;
  /** Per rule id, V_ACCEPT, V_DROP or V_REJECT when the rule is leading matches and that verdict only; else 0. */
  decides: Uint8Array;
  /** Per slot: when the expression is such a match, 1 + its field's index in MATCH_FIELDS (else 0); its interval then in lo, hi (lo > hi: it holds nothing). */
  simple: Uint8Array;
  lo: Uint32Array;
  hi: Uint32Array;
}

const DECIDES: Partial<Record<string, number>> = { accept: V_ACCEPT, drop: V_DROP, reject: V_REJECT };

/** The match fields, numbered (read-only). */
export const MATCH_FIELDS = Object.keys(FIELDS) as MatchField[];
/** Per field, its number (1 + index) and what FIELDS says of it: one lookup a match. */
const FIELD_ENTRY = new Map(MATCH_FIELDS.map((f, i) => [f, { code: i + 1, kind: FIELDS[f].kind, bits: FIELDS[f].bits }]));

/** MatchNumbers as the plan's pass fills them: a rule, then its expressions, in order. */
export class MatchNumbersBuilder {
  private at = new Int32Array(1024);
  private lead = new Int32Array(1024);
  private decides = new Uint8Array(1024);
  /** The current rule's expressions are all matches so far. */
  private leading = false;
  private simple = new Uint8Array(4096);
  private lo = new Uint32Array(4096);
  private hi = new Uint32Array(4096);
  private rules = 0;
  private slots = 0;

  /** The next rule's first slot is the next slot. */
  rule(): void {
    if (this.rules === this.at.length) {
      const n = 2 * this.rules;
      this.at = grown(this.at, new Int32Array(n));
      this.lead = grown(this.lead, new Int32Array(n));
      this.decides = grown(this.decides, new Uint8Array(n));
    }
    this.at[this.rules++] = this.slots;
    this.leading = true;
  }

  /** The current rule's expressions are all given (expr): its verdict. */
  ruleDone(r: Rule): void {
    const i = this.rules - 1;
    if (this.leading) this.decides[i] = DECIDES[r.verdict?.kind ?? ''] ?? 0;
  }

  /**
   * The next expression's slot: its numbers when it is a match whose value is one valid interval
   * of a field of at most 32 bits (recorded when its op is `==`); whether the value was one (it
   * is then valid, whatever the op). False: not a value of that form; the caller checks it.
   */
  expr(m: Match | undefined): boolean {
    if (this.slots === this.simple.length) {
      const n = 2 * this.slots;
      this.simple = grown(this.simple, new Uint8Array(n));
      this.lo = grown(this.lo, new Uint32Array(n));
      this.hi = grown(this.hi, new Uint32Array(n));
    }
    const slot = this.slots++;
    if (this.leading) {
      if (m) this.lead[this.rules - 1]!++;
      else this.leading = false;
    }
    if (!m || m.mask !== undefined) return false;
    const v = m.value;
    const info = FIELD_ENTRY.get(m.field)!;
    let lo: number;
    let hi: number;
    if (info.kind === 'uint') {
      const max = info.bits >= 32 ? 0xffffffff : 0xffffffff >>> (32 - info.bits); // 2^bits − 1, no call
      if (typeof v === 'number') {
        if (!(Number.isInteger(v) && v >= 0 && v <= max)) return false;
        lo = hi = v;
      } else if (typeof v === 'object' && 'range' in v) {
        // In either order: a backward range holds nothing, as values.ts reads it.
        const [a, b] = v.range;
        if (!(typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a <= max && b <= max)) return false;
        lo = a;
        hi = b;
      } else return false;
    } else if (info.kind === 'ipv4') {
      if (typeof v === 'string') {
        const a = ipv4Value(v);
        if (a < 0) return false;
        lo = hi = a;
      } else if (typeof v === 'object' && 'prefix' in v && typeof v.prefix === 'string') {
        const base = ipv4Value(v.prefix);
        const len = v.len;
        if (base < 0 || !Number.isInteger(len) || len < 0 || len > 32) return false;
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        // Host bits set: the kernel compares (x & mask) == addr, which no x satisfies.
        if ((base & mask) >>> 0 !== base) {
          lo = 1;
          hi = 0;
        } else {
          lo = base;
          hi = (base | ~mask) >>> 0;
        }
      } else return false;
    } else return false;
    if (m.op === '==') {
      this.simple[slot] = info.code;
      this.lo[slot] = lo;
      this.hi[slot] = hi;
    }
    return true;
  }

  done(): MatchNumbers {
    const rules = this.rules;
    const slots = this.slots;
    return {
      at: this.at.subarray(0, rules), lead: this.lead.subarray(0, rules), decides: this.decides.subarray(0, rules),
      simple: this.simple.subarray(0, slots), lo: this.lo.subarray(0, slots), hi: this.hi.subarray(0, slots),
    };
  }
}

function grown<T extends Int32Array | Uint8Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
