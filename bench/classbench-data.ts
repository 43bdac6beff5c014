// ClassBench rule sets and traces (format: the README of ../shared/data/classbench beside the repository) as nftlens
// input: the rules become one filter chain of an `ip` table, first match wins (`ip saddr/daddr`
// prefixes, `th sport/dport` ranges, `meta l4proto` unless wildcard; the flags field is ignored).
// Packets come from the shared `.trace` (expected rule: column 7 corrected by `.firstmatch_diff`)
// when it is there, else from a seeded generator drawing rule corners as trace_generator does.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Match, Ruleset } from '../src/model/ruleset.js';
import type { Classifier } from '../src/engine/classifier.js';
import * as L from '../src/engine/layout.js';
import { prng } from '../src/model/prng.js';
import { formatIpv4 } from '../src/model/values.js';

export interface CbRule {
  src: [number, number];
  dst: [number, number];
  sport: [number, number];
  dport: [number, number];
  /** -1: any protocol. */
  proto: number;
}

export interface CbTrace {
  n: number;
  src: Uint32Array;
  dst: Uint32Array;
  sport: Uint32Array;
  dport: Uint32Array;
  proto: Uint32Array;
  /** Expected first-matching rule per packet. */
  expected: Int32Array;
  source: 'shared trace' | 'generated';
}

export const DATA_DIR = new URL('./data/', import.meta.url).pathname;
export const SHARED_DIR = new URL('../../shared/data/classbench/', import.meta.url).pathname;

function prefixRange(text: string): [number, number] {
  const [addr, len] = text.split('/');
  const a = addr!.split('.').reduce((x, p) => x * 256 + Number(p), 0);
  const size = 2 ** (32 - Number(len));
  return [a, a + size - 1];
}

export function parseRules(text: string): CbRule[] {
  return text.split('\n').filter((l) => l.startsWith('@')).map((line) => {
    const f = line.slice(1).split('\t');
    const ports = (s: string) => s.split(':').map((x) => Number(x.trim())) as [number, number];
    const [pv, pm] = f[4]!.split('/');
    return { src: prefixRange(f[0]!), dst: prefixRange(f[1]!), sport: ports(f[2]!), dport: ports(f[3]!), proto: Number(pm) === 0 ? -1 : Number(pv) };
  });
}

export function toRuleset(rules: CbRule[]): Ruleset {
  const o = {};
  const prefix = ([lo, hi]: [number, number]) => ({ prefix: formatIpv4(lo), len: 32 - Math.log2(hi - lo + 1) });
  return {
    tables: [{
      family: 'ip', name: 'classbench', origin: o,
      chains: [{
        name: 'filter', origin: o, base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' },
        rules: rules.map((r, i) => {
          const exprs: Match[] = [];
          const add = (field: Match['field'], value: Match['value']) => exprs.push({ kind: 'match', field, op: '==', value, origin: o });
          if (r.src[1] - r.src[0] !== 0xffffffff) add('ip saddr', prefix(r.src));
          if (r.dst[1] - r.dst[0] !== 0xffffffff) add('ip daddr', prefix(r.dst));
          if (r.proto >= 0) add('meta l4proto', r.proto);
          if (r.sport[0] !== 0 || r.sport[1] !== 65535) add('th sport', r.sport[0] === r.sport[1] ? r.sport[0] : { range: r.sport });
          if (r.dport[0] !== 0 || r.dport[1] !== 65535) add('th dport', r.dport[0] === r.dport[1] ? r.dport[0] : { range: r.dport });
          return { exprs, verdict: { kind: 'accept', origin: o }, origin: { rule: String(i) } };
        }),
      }],
    }],
  };
}

/** A straightforward linear scan over the rules: the baseline, and the oracle for generated traces. */
export function linearScanner(rules: CbRule[]): (s: number, d: number, sp: number, dp: number, p: number) => number {
  const n = rules.length;
  const a = new Float64Array(n * 8);
  const proto = new Int32Array(n);
  rules.forEach((r, i) => {
    a.set([r.src[0], r.src[1], r.dst[0], r.dst[1], r.sport[0], r.sport[1], r.dport[0], r.dport[1]], i * 8);
    proto[i] = r.proto;
  });
  return (s, d, sp, dp, p) => {
    for (let i = 0; i < n; i++) {
      const b = i * 8;
      if (s >= a[b]! && s <= a[b + 1]! && d >= a[b + 2]! && d <= a[b + 3]! && sp >= a[b + 4]! && sp <= a[b + 5]! &&
        dp >= a[b + 6]! && dp <= a[b + 7]! && (proto[i] === -1 || proto[i] === p)) return i;
    }
    return -1;
  };
}

export function loadTrace(name: string, rules: CbRule[], generated = 100_000): CbTrace {
  const file = join(SHARED_DIR, `${name}.trace`);
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const t = alloc(lines.length, 'shared trace');
    lines.forEach((l, i) => {
      const f = l.split('\t');
      t.src[i] = Number(f[0]);
      t.dst[i] = Number(f[1]);
      t.sport[i] = Number(f[2]);
      t.dport[i] = Number(f[3]);
      t.proto[i] = Number(f[4]);
      t.expected[i] = Number(f[6]);
    });
    const diff = join(SHARED_DIR, `${name}.firstmatch_diff`);
    for (const l of readFileSync(diff, 'utf8').split('\n').filter(Boolean)) {
      const [line, first] = l.split('\t').map(Number);
      t.expected[line! - 1] = first!;
    }
    return t;
  }
  // trace_generator's way: a random rule, then each field at the low or high end of its range.
  const rnd = prng(0x9e3779b9);
  const t = alloc(generated, 'generated');
  const scan = linearScanner(rules);
  const end = (r: [number, number]) => (rnd() < 0.5 ? r[0] : r[1]);
  for (let i = 0; i < generated; i++) {
    const r = rules[Math.floor(rnd() * rules.length)]!;
    t.src[i] = end(r.src);
    t.dst[i] = end(r.dst);
    t.sport[i] = end(r.sport);
    t.dport[i] = end(r.dport);
    t.proto[i] = r.proto < 0 ? end([0, 255]) : r.proto;
    t.expected[i] = scan(t.src[i]!, t.dst[i]!, t.sport[i]!, t.dport[i]!, t.proto[i]!);
  }
  return t;
}

function alloc(n: number, source: CbTrace['source']): CbTrace {
  return { n, src: new Uint32Array(n), dst: new Uint32Array(n), sport: new Uint32Array(n), dport: new Uint32Array(n), proto: new Uint32Array(n), expected: new Int32Array(n), source };
}

/** A set's rules: the repository's bench/data copy, else the shared corpus (acl1_100k, 8 MB, is not copied). */
export function rulesFile(name: string): string {
  const own = join(DATA_DIR, `${name}.rules`);
  return existsSync(own) ? own : join(SHARED_DIR, `${name}.rules`);
}

export function loadSet(name: string): { rules: CbRule[]; ruleset: Ruleset; trace: CbTrace } {
  const rules = parseRules(readFileSync(rulesFile(name), 'utf8'));
  return { rules, ruleset: toRuleset(rules), trace: loadTrace(name, rules) };
}

/** Copies trace packets [s, s+n) into a classifier's batch columns (5-tuple; other columns keep their defaults). */
export function loadColumns(c: Classifier, t: CbTrace, s: number, n: number): void {
  const col = c.columns;
  col[L.K_SADDR]!.set(t.src.subarray(s, s + n));
  col[L.K_DADDR]!.set(t.dst.subarray(s, s + n));
  col[L.K_SPORT]!.set(t.sport.subarray(s, s + n));
  col[L.K_DPORT]!.set(t.dport.subarray(s, s + n));
  col[L.K_L4PROTO]!.set(t.proto.subarray(s, s + n));
}
