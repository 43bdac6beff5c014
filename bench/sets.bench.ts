// Set lookups: lookups per second of one forward chain whose rule matches a big set, through the
// batch API (packets written once into the columns, then whole batches classified): a 100k-element
// interval set on `ip saddr` as the rule's leading match (the chain's search), the same set after a
// statement (the op stream's binary search), and a 10k-element concatenation `ip saddr . th dport`
// (expanded into one rule per element: the chain's search), and the same after a mark statement
// (one lookup: cut trees over its elements); a 10k-element verdict map `ip daddr . meta l4proto .
// th dport vmap { … }` of kube-proxy's shape (expanded too). Run: npx tsx bench/sets.bench.ts
import { loadavg } from 'node:os';
import { compileRuleset, makePacket } from '../src/engine/index.js';
import type { Expr, Item, Ruleset } from '../src/model/ruleset.js';
import { formatAddress } from '../src/model/values.js';
import { prng } from '../src/model/prng.js';

const o = {};
const rnd = prng(7);
const base = 0x0a000000;
/** n disjoint ranges of 1..8 addresses from 10.0.0.0 with gaps. */
function ranges(n: number): [number, number][] {
  const out: [number, number][] = [];
  let at = base;
  for (let i = 0; i < n; i++) {
    const len = Math.floor(rnd() * 8);
    out.push([at, at + len]);
    at += len + 2 + Math.floor(rnd() * 8);
  }
  return out;
}
const ip = (n: number) => formatAddress(BigInt(n >>> 0), 4);

function rulesetWith(exprs: Expr[]): Ruleset {
  return { tables: [{ family: 'ip', name: 't', origin: o, chains: [{ name: 'fwd', origin: o, base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }, rules: [{ exprs, verdict: { kind: 'accept', origin: o }, origin: o }] }] }] };
}

function measure(label: string, rs: Ruleset, spanEnd: number): void {
  const t0 = performance.now();
  const c = compileRuleset(rs);
  const compileMs = performance.now() - t0;
  const n = c.capacity;
  for (let i = 0; i < n; i++) {
    c.writePacket(i, makePacket({ saddr: ip(base + Math.floor(rnd() * (spanEnd - base))), daddr: '192.168.0.1', l4proto: 6, sport: 1000, dport: 1 + Math.floor(rnd() * 1000), iifname: 'eth0', oifname: 'eth1' }), 'forward');
  }
  c.runBatch(n); // warm up
  let batches = 0;
  const t1 = performance.now();
  while (performance.now() - t1 < 1500) {
    c.runBatch(n);
    batches++;
  }
  const s = (performance.now() - t1) / 1000;
  const accepted = Array.from({ length: 16 }, (_, i) => c.readResult(i, makePacket({ saddr: '10.0.0.1', daddr: '10.0.0.2' })).verdict).filter((v) => v === 'accept').length;
  console.log(`${label}: ${((batches * n) / s / 1e6).toFixed(2)} M lookups/s, compile ${compileMs.toFixed(0)} ms (${accepted}/16 sampled accepted)`);
}

const big = ranges(100_000);
const bigSet: Item[] = big.map(([lo, hi]) => (lo === hi ? ip(lo) : { range: [ip(lo), ip(hi)] }));
const end = big.at(-1)![1] + 1;
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
measure('100k-element interval set, leading match', rulesetWith([{ kind: 'match', field: 'ip saddr', op: '==', value: { set: bigSet }, origin: o }]), end);
measure('100k-element interval set, after a statement', rulesetWith([{ kind: 'counter', origin: o }, { kind: 'match', field: 'ip saddr', op: '==', value: { set: bigSet }, origin: o }]), end);
const cat = ranges(10_000);
const catEnd = cat.at(-1)![1] + 1;
const elements: Item[][] = cat.map(([lo, hi]) => [{ range: [ip(lo), ip(hi)] }, { range: [1, 1 + Math.floor(rnd() * 999)] }]);
measure('10k-element concatenation ip saddr . th dport', rulesetWith([{ kind: 'match', field: 'meta l4proto', op: '==', value: 6, origin: o }, { kind: 'concat', fields: ['ip saddr', 'th dport'], op: '==', elements, origin: o }]), catEnd);
// After a statement that changes the packet the concatenation stays one lookup (model/expand-maps.ts
// expands it into rules otherwise): the op stream's cut trees over its elements.
measure('10k-element concatenation after a mark statement', rulesetWith([{ kind: 'match', field: 'meta l4proto', op: '==', value: 6, origin: o }, { kind: 'set-mark', key: 'meta mark', value: 1, origin: o }, { kind: 'concat', fields: ['ip saddr', 'th dport'], op: '==', elements, origin: o }]), catEnd);
// kube-proxy's service map: exact address . protocol . port keys, each to its own verdict.
const vmapElements = cat.map(([lo], i) => ({ key: [ip(lo), 6, 1 + (i % 999)] as Item[], value: { kind: i % 3 === 0 ? 'drop' : 'accept', origin: o } as const, origin: o }));
const vmapRules: Ruleset = rulesetWith([]);
vmapRules.tables[0]!.chains[0]!.rules[0] = { exprs: [], verdict: { kind: 'vmap', lookup: { key: ['ip saddr', 'meta l4proto', 'th dport'], elements: vmapElements }, origin: o }, origin: o };
measure('10k-element verdict map ip saddr . meta l4proto . th dport', vmapRules, catEnd);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
