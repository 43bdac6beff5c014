// A witness reproduces as printed: every witness of every analysis on the Liqo fixtures and the
// examples, printed as packet text and parsed back, is the same packet, and evaluated on the
// whole path (as `nftlens eval -p` does, no hook given) by both engines shows what its finding
// claims — witnesses of findings at the input hook carry `dst-local`, at output `local`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleset } from '../../src/frontends/load.js';
import { findAnomalies } from '../../src/analyses/anomalies.js';
import { findConflicts } from '../../src/analyses/conflicts.js';
import type { Finding } from '../../src/analyses/findings.js';
import { symbolicAnalysis } from '../../src/analyses/symbolic/index.js';
import { formatPacket, parsePacket } from '../../src/engine/packet.js';
import { ReferenceEngine, compileRuleset } from '../../src/engine/index.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { sharedCorpus } from '../support/corpus.js';
import { verdictRules } from './support.js';

const LIQO = sharedCorpus('fixtures/liqo/valid');
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;
const yaml = (dir: string) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));
const inputs: { name: string; files: string[] }[] = [
  { name: 'examples (one gateway)', files: yaml(EXAMPLES) },
  ...yaml(EXAMPLES).map((f) => ({ name: `examples/${f.slice(EXAMPLES.length)}`, files: [f] })),
  ...(LIQO ? yaml(LIQO).map((f) => ({ name: `liqo/valid/${f.slice(LIQO.length + 1)}`, files: [f] })) : []),
];

function reproduce(ruleset: Ruleset, f: Finding): void {
  const text = formatPacket(f.witness!);
  const back = parsePacket(text);
  const what = `${f.kind} ${f.message}\nwitness ${text}`;
  expect(back, what).toEqual(f.witness);
  const ref = new ReferenceEngine(ruleset).evaluate(back, { trace: true });
  const wasm = compileRuleset(ruleset).evaluate(back, { trace: true });
  expect(wasm.verdict, what).toBe(ref.verdict);
  expect(wasm.rule, what).toBe(ref.rule);
  const c = f.check!;
  if (c.hook) expect(ref.hooks, what).toContain(c.hook);
  const fired = verdictRules(ref.trace!);
  if (c.verdict) expect(ref.verdict, what).toBe(c.verdict);
  if (c.not !== undefined) expect(fired.has(c.not), what).toBe(false);
  if (c.by?.rule !== undefined) expect(fired.has(c.by.rule), what).toBe(true);
  if (c.by?.policyOf !== undefined) expect(ref.trace!.some((e) => e.kind === 'policy' && e.chain === c.by!.policyOf), what).toBe(true);
}

describe('witnesses reproduce as printed', () => {
  let checked = 0;
  let atInput = 0;
  for (const input of inputs) {
    it(input.name, async () => {
      const { ruleset, resources } = await loadRuleset(input.files);
      const a = symbolicAnalysis(ruleset);
      const findings = [...findAnomalies(a, { describeLines: 0 }).findings, ...findConflicts(a, resources)].filter((f) => f.witness && f.check);
      for (const f of findings) {
        reproduce(ruleset, f);
        if (f.check!.hook === 'input') {
          atInput++;
          expect(formatPacket(f.witness!)).toMatch(/ dst-local$/);
        }
      }
      checked += findings.length;
    });
  }
  it('checked witnesses, some of them at the input hook', () => {
    expect(checked).toBeGreaterThan(0);
    if (LIQO) expect(atInput).toBeGreaterThan(0);
  });

  it('dst-local sends a packet to input only while its destination is unchanged', () => {
    const p = parsePacket('tcp 10.0.0.1:1024 -> 10.0.0.2:22 iif eth0 ct new dst-local');
    expect(p.dstLocal).toBe(true);
    expect(formatPacket(p)).toBe('tcp 10.0.0.1:1024 -> 10.0.0.2:22 iif eth0 ct new flags syn len 40 dst-local');
    expect(() => parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 local dst-local')).toThrow(/not both/);
    const O = {};
    const base = (hook: 'input' | 'forward' | 'prerouting', type: 'filter' | 'nat', priority: number) => ({ type, hook, priority, policy: 'accept' as const });
    const ruleset: Ruleset = {
      tables: [{
        family: 'ip', name: 't', origin: O, chains: [
          { name: 'in', base: base('input', 'filter', 0), origin: O, rules: [{ exprs: [], verdict: { kind: 'drop', origin: O }, origin: O }] },
          { name: 'fw', base: base('forward', 'filter', 0), origin: O, rules: [] },
          {
            name: 'pre', base: base('prerouting', 'nat', -100), origin: O, rules: [{
              exprs: [{ kind: 'match', field: 'th dport', op: '==', value: 8080, origin: O }, { kind: 'nat', type: 'dnat', to: '10.9.9.9', origin: O }], origin: O,
            }],
          },
        ],
      }],
    };
    for (const engine of [new ReferenceEngine(ruleset), compileRuleset(ruleset)]) {
      const at = (text: string) => engine.evaluate(parsePacket(text), {});
      expect(at('tcp 10.0.0.1:1024 -> 10.0.0.2:22 iif eth0 dst-local')).toMatchObject({ verdict: 'drop', hooks: ['prerouting', 'input'] });
      expect(at('tcp 10.0.0.1:1024 -> 10.0.0.2:22 iif eth0 oif eth1')).toMatchObject({ verdict: 'accept', hooks: ['prerouting', 'forward', 'postrouting'] });
      // DNAT moved it to another address: no longer the host's.
      expect(at('tcp 10.0.0.1:1024 -> 10.0.0.2:8080 iif eth0 oif eth1 dst-local').hooks).toEqual(['prerouting', 'forward', 'postrouting']);
    }
  });
});
