// The nftables semantics the engine mirrors, one behaviour per test, each checked on both the
// WASM classifier and the reference interpreter (which must also agree with each other).
// Checked on Linux 6.18 in throwaway namespaces: chain depth (15 below a base chain load, 16 get
// EMLINK, jump and goto alike); ct state `invalid` and no ct mark before conntrack; notrack before
// conntrack untracks, after it does nothing; a nat chain of priority 200 still rewrites before a
// filter chain of priority 0 (nf_nat's hook runs at -100).

import { describe, expect, it } from 'vitest';
import { compileRuleset, parsePacket, ReferenceEngine, type EvalResult } from '../../src/engine/index.js';
import type { EngineOptions } from '../../src/engine/environment.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import type { Table } from '../../src/model/ruleset.js';
import { base, chain, counter, goto, jump, m, nat, notrack, rule, setMark, table, v } from './ir.js';

const ENV: EngineOptions = { localAddresses: ['10.0.0.1'], interfaceAddresses: { eth1: ['192.0.2.1'] } };

/** Evaluates on both engines, checks they agree (trace included), returns the result. */
function both(tables: Table[], packet: string, env: EngineOptions = ENV): EvalResult & { counters: number[] } {
  const rs = { tables };
  const c = compileRuleset(rs, env);
  const ref = new ReferenceEngine(rs, env);
  const p = parsePacket(packet);
  const a = c.evaluate(p, { trace: true });
  const b = ref.evaluate(p, { trace: true });
  expect(a).toEqual(b);
  const counters = Array.from(c.counterArray());
  expect(counters).toEqual(Array.from(ref.counterValues));
  return { ...a, counters };
}

const FWD = 'tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1';
const fwd = (rules: Parameters<typeof base>[2], extra: Partial<Parameters<typeof base>[1]> = {}) => base('fwd', { hook: 'forward', ...extra }, rules);

describe('verdicts and chains', () => {
  it('accept ends only the current base chain; the next one still runs', () => {
    const r = both([table('ip', 'a', [fwd([rule([], v('accept'))])]), table('ip', 'b', [fwd([rule([], v('drop'), 'late')], { priority: 10 })])], FWD);
    expect(r.verdict).toBe('drop');
    expect(r.rule).toBe(1);
  });

  it('drop ends everything: later base chains do not run', () => {
    const r = both([table('ip', 'a', [fwd([rule([], v('drop'))])]), table('ip', 'b', [fwd([rule([counter], v('accept'))], { priority: 10 })])], FWD);
    expect(r.verdict).toBe('drop');
    expect(r.counters).toEqual([0, 0]);
  });

  it('base chains run in ascending priority across tables; ip6 tables do not see IPv4', () => {
    const r = both([
      table('ip', 'late', [fwd([rule([], v('drop'))], { priority: 5 })]),
      table('inet', 'early', [fwd([rule([], v('reject'))], { priority: -5 })]),
      table('ip6', 'other', [fwd([rule([], v('accept'))], { priority: -10 })]),
    ], FWD);
    expect(r.verdict).toBe('reject');
    expect(r.chain).toBe(1);
  });

  it('jump comes back, goto does not', () => {
    const t = (verb: typeof jump) => [table('ip', 'f', [fwd([rule([], verb('sub')), rule([], v('drop'), 'after')]), chain('sub', [rule([counter])])])];
    expect(both(t(jump), FWD).verdict).toBe('drop');
    const g = both(t(goto), FWD);
    expect(g.verdict).toBe('accept');
    expect(g.by).toBe('policy');
  });

  it('return in a base chain means the policy; continue goes on', () => {
    const r = both([table('ip', 'f', [fwd([rule([], v('continue')), rule([], v('return')), rule([], v('accept'))], { policy: 'drop' })])], FWD);
    expect(r.verdict).toBe('drop');
    expect(r.by).toBe('policy');
  });

  it('return from a jumped chain resumes after the jump', () => {
    const r = both([table('ip', 'f', [fwd([rule([], jump('a')), rule([], v('reject'))]), chain('a', [rule([], v('return')), rule([], v('accept'))])])], FWD);
    expect(r.verdict).toBe('reject');
  });

  it('counters count the packets and bytes that reach them', () => {
    const r = both([table('ip', 'f', [fwd([rule([counter, m('ip saddr', '9.9.9.9')], v('drop')), rule([m('ip saddr', '9.9.9.9'), counter])])])], FWD + ' len 100');
    expect(r.counters).toEqual([1, 100, 0, 0]);
    expect(r.trace).toContainEqual({ kind: 'fail', rule: 0, expr: 1 });
  });
});

describe('marks and conntrack', () => {
  it('a mark set by one rule is seen by later matches', () => {
    const r = both([table('ip', 'f', [fwd([rule([setMark('meta mark', 5)]), rule([m('meta mark', 5)], v('drop'))])])], FWD);
    expect(r.verdict).toBe('drop');
    expect(r.packet.mark).toBe(5);
  });

  it('ct mark persists on the connection into later hooks', () => {
    const r = both([table('ip', 'f', [
      base('pre', { hook: 'prerouting' }, [rule([setMark('ct mark', 7)])]),
      fwd([rule([m('ct mark', 7)], v('drop'))]),
    ])], FWD + ' ct established');
    expect(r.verdict).toBe('drop');
  });

  it('before conntrack (priority < -200) ct state is invalid and ct mark matches nothing', () => {
    const raw = base('raw', { hook: 'prerouting', priority: -300 }, [rule([m('ct mark', 1, '!=')], v('drop')), rule([m('ct state', 'invalid'), counter])]);
    const r = both([table('ip', 'f', [raw])], FWD + ' ct established');
    expect(r.verdict).toBe('accept');
    expect(r.counters).toEqual([1, 40]);
  });

  it('`meta mark set ct mark` without a conntrack entry ends the rule', () => {
    const r = both([table('ip', 'f', [base('raw', { hook: 'prerouting', priority: -300 }, [rule([setMark('meta mark', 'ct mark')], v('drop'))])])], FWD);
    expect(r.verdict).toBe('accept');
  });

  it('notrack before conntrack makes the packet untracked, and NAT chains skip it', () => {
    const r = both([table('ip', 'f', [
      base('raw', { hook: 'prerouting', priority: -300 }, [rule([notrack])]),
      base('dnat', { hook: 'prerouting', type: 'nat', priority: -100 }, [rule([nat('dnat', '10.0.0.1')])]),
      fwd([rule([m('ct state', 'untracked')], v('drop'))]),
    ])], FWD);
    expect(r.verdict).toBe('drop');
    expect(r.packet.daddr).toBe('10.42.1.7');
    expect(r.trace).toContainEqual({ kind: 'nat-skip', chain: 1 });
  });

  it('notrack after conntrack has no effect on a tracked packet', () => {
    const r = both([table('ip', 'f', [base('pre', { hook: 'prerouting' }, [rule([notrack])]), fwd([rule([m('ct state', 'new')], v('drop'))])])], FWD);
    expect(r.verdict).toBe('drop');
  });
});

describe('NAT and routing', () => {
  it('dnat to a local address sends the packet to input', () => {
    const r = both([table('ip', 'n', [
      base('dnat', { hook: 'prerouting', type: 'nat', priority: -100 }, [rule([m('th dport', 80)], undefined), rule([nat('dnat', '10.0.0.1', 8080)])]),
      base('in', { hook: 'input' }, [rule([m('th dport', 8080)], v('drop'))]),
    ])], FWD);
    expect(r.hooks).toEqual(['prerouting', 'input']);
    expect(r.verdict).toBe('drop');
    expect(r.packet.dport).toBe(8080);
  });

  it('nat chains run at the NAT hook priority (-100), whatever their own', () => {
    const r = both([table('ip', 'n', [
      base('filter', { hook: 'prerouting', priority: 0 }, [rule([m('ip daddr', '10.9.9.9')], v('drop'))]),
      base('dnat', { hook: 'prerouting', type: 'nat', priority: 200 }, [rule([nat('dnat', '10.9.9.9')])]),
    ])], FWD);
    expect(r.verdict).toBe('drop');
  });

  it('a NAT statement ends the nat chains of its hook', () => {
    const r = both([table('ip', 'n', [
      base('a', { hook: 'postrouting', type: 'nat', priority: 100 }, [rule([nat('snat', '10.1.1.1')])]),
      base('b', { hook: 'postrouting', type: 'nat', priority: 110 }, [rule([nat('snat', '10.2.2.2')])]),
    ])], FWD);
    expect(r.packet.saddr).toBe('10.1.1.1');
    expect(r.trace!.filter((e) => e.kind === 'chain')).toHaveLength(1);
  });

  it('NAT chains see only a connection\'s first packet', () => {
    const r = both([table('ip', 'n', [base('s', { hook: 'postrouting', type: 'nat' }, [rule([nat('snat', '10.1.1.1')])])])], FWD + ' ct established');
    expect(r.packet.saddr).toBe('10.0.0.5');
  });

  it('masquerade takes the output interface address, and drops without one', () => {
    const t = [table('ip', 'n', [base('s', { hook: 'postrouting', type: 'nat' }, [rule([nat('masquerade')])])])];
    expect(both(t, FWD).packet.saddr).toBe('192.0.2.1');
    const r = both(t, 'tcp 10.0.0.5:1 -> 10.42.1.7:80 oif eth9');
    expect(r.verdict).toBe('drop');
    expect(r.by).toBe('rule');
  });

  it('netmap keeps host bits; a pool keeps an snat source already in it', () => {
    const t = (to: Parameters<typeof nat>[1]) => [table('ip', 'n', [base('s', { hook: 'postrouting', type: 'nat' }, [rule([nat('snat', to)])])])];
    expect(both(t({ prefix: '172.16.0.0', len: 16 }), 'udp 10.0.3.4:5 -> 10.42.1.7:53').packet.saddr).toBe('172.16.3.4');
    expect(both(t({ range: ['10.0.0.1', '10.0.0.9'] }), FWD).packet.saddr).toBe('10.0.0.5');
    expect(both(t({ range: ['10.0.0.6', '10.0.0.9'] }), FWD).packet.saddr).toBe('10.0.0.6');
  });

  it('an inet NAT statement for the other IP version does nothing', () => {
    const r = both([table('inet', 'n', [base('s', { hook: 'postrouting', type: 'nat' }, [rule([nat('snat', 'fd00::1')], v('drop'))])])], FWD);
    expect(r.verdict).toBe('drop');
    expect(r.packet.saddr).toBe('10.0.0.5');
  });

  it('locally generated packets go output → postrouting with no input interface', () => {
    const r = both([table('ip', 'f', [base('out', { hook: 'output' }, [rule([m('meta iifname', 'eth0')], v('drop'))])])], FWD + ' local');
    expect(r.hooks).toEqual(['output', 'postrouting']);
    expect(r.verdict).toBe('accept');
  });
});

describe('matches', () => {
  const one = (match: Parameters<typeof rule>[0], packet = FWD) => both([table('inet', 'f', [fwd([rule(match, v('drop'))])])], packet).verdict;

  it('prerouting has no output interface', () => {
    const t = (op: '==' | '!=') => [table('ip', 'f', [base('p', { hook: 'prerouting' }, [rule([m('meta oifname', 'eth1', op)], v('drop'))])])];
    expect(both(t('=='), FWD).verdict).toBe('accept');
    expect(both(t('!='), FWD).verdict).toBe('drop');
  });

  it('interface wildcards', () => {
    expect(one([m('meta iifname', 'eth*')])).toBe('drop');
    expect(one([m('meta iifname', 'et*'), m('meta oifname', 'eth1')])).toBe('drop');
    expect(one([m('meta iifname', 'eth')])).toBe('accept');
  });

  it('!= on a set is the complement of membership', () => {
    expect(one([m('th dport', { set: [22, { range: [70, 90] }] }, '!=')])).toBe('accept');
    expect(one([m('th dport', { set: [22, 443] }, '!=')])).toBe('drop');
  });

  it('a prefix with host bits matches nothing (and its != everything)', () => {
    expect(one([m('ip saddr', { prefix: '10.0.0.5', len: 8 })])).toBe('accept');
    expect(one([m('ip saddr', { prefix: '10.0.0.5', len: 8 }, '!=')])).toBe('drop');
  });

  it('th dport reads the second transport word of any protocol (ICMP: the checksum)', () => {
    expect(one([m('th dport', 0xf7ff)], 'icmp 10.0.0.5 -> 10.42.1.7 type 8 code 0 iif eth0 oif eth1')).toBe('drop');
    expect(one([m('th sport', 0x0800)], 'icmp 10.0.0.5 -> 10.42.1.7 type 8 code 0 iif eth0 oif eth1')).toBe('drop');
  });

  it('tcp flags implies tcp, ip … implies IPv4, whatever the operator', () => {
    expect(one([m('tcp flags', 0x02, '!=')], 'udp 10.0.0.5:1 -> 10.42.1.7:53')).toBe('accept');
    expect(one([m('ip saddr', '1.2.3.4', '!=')], 'tcp [fd00::1]:1 -> [fd00::2]:80')).toBe('accept');
    expect(one([m('ip6 saddr', 'fd00::1')], 'tcp [fd00::1]:1 -> [fd00::2]:80')).toBe('drop');
  });

  it('masks', () => {
    expect(one([m('meta mark', 0x10, '==', 0xf0)], FWD + ' mark 0x13')).toBe('drop');
    expect(one([m('tcp flags', 0x02, '==', 0x12)], FWD + ' flags syn,ack')).toBe('accept');
    expect(one([m('tcp flags', 0x02, '==', 0x12)], FWD + ' flags syn,psh')).toBe('drop');
  });
});

describe('what the kernel refuses to load', () => {
  const deep = (n: number) => {
    const chains = Array.from({ length: n }, (_, i) => chain(`c${i + 1}`, i + 1 < n ? [rule([], jump(`c${i + 2}`))] : [rule([], v('accept'))]));
    return { tables: [table('ip', 'f', [base('in', { hook: 'input' }, [rule([], jump('c1'))]), ...chains])] };
  };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof NftlensError ? e.code : String(e);
    }
    return 'none';
  };

  it('15 chains below a base chain load, 16 do not (EMLINK)', () => {
    expect(code(() => compileRuleset(deep(15)))).toBe('none');
    expect(code(() => compileRuleset(deep(16)))).toBe('ENGINE_LOOP');
  });

  it('loops, unknown targets, jumps to base chains, misplaced NAT', () => {
    expect(code(() => compileRuleset({ tables: [table('ip', 'f', [chain('a', [rule([], goto('b'))]), chain('b', [rule([], jump('a'))])])] }))).toBe('ENGINE_LOOP');
    expect(code(() => compileRuleset({ tables: [table('ip', 'f', [chain('a', [rule([], jump('nope'))])])] }))).toBe('NFT_REFERENCE');
    expect(code(() => compileRuleset({ tables: [table('ip', 'f', [fwd([]), chain('a', [rule([], jump('fwd'))])])] }))).toBe('MODEL_INVALID');
    expect(code(() => compileRuleset({ tables: [table('ip', 'f', [base('p', { hook: 'postrouting', type: 'nat' }, [rule([nat('dnat', '10.0.0.1')])])])] }))).toBe('MODEL_INVALID');
    expect(code(() => compileRuleset({ tables: [table('ip', 'f', [fwd([rule([nat('snat', '10.0.0.1')])])])] }))).toBe('MODEL_INVALID');
  });

  it('equal priorities at one hook are reported', () => {
    const c = compileRuleset({ tables: [table('ip', 'a', [fwd([])]), table('inet', 'b', [fwd([])])] });
    expect(c.diagnostics.map((d) => d.code)).toEqual(['ENGINE_ORDER']);
  });

  it('arp, bridge and netdev tables are not evaluated', () => {
    const r = both([table('bridge', 'b', [fwd([rule([], v('drop'))])]), table('netdev', 'n', [base('i', { hook: 'ingress', device: 'eth0' }, [rule([], v('drop'))])])], FWD);
    expect(r.verdict).toBe('accept');
    expect(r.by).toBe('none');
  });
});
