// Flow evaluation (src/engine/flow.ts): the first packet as ct new, the reply as conntrack sees it
// (reversed, established, NAT undone), the next packet (established, NAT redone), on hand-written
// rulesets; the kernel comparison is test/engine/flow-kernel.test.ts.
import { describe, expect, it } from 'vitest';
import { makeEnvironment } from '../../src/engine/environment.js';
import { evaluateFlow, flowOutcomes, parseFlow } from '../../src/engine/flow.js';
import { formatPacket } from '../../src/engine/packet.js';
import { planRuleset } from '../../src/engine/plan.js';
import { ruleLabel } from '../../src/engine/result.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import type { Table } from '../../src/model/ruleset.js';
import { base, m, nat, rule, setMark, table, v } from './ir.js';

const ENV = { localAddresses: ['192.0.2.1'], interfaceAddresses: { eth1: ['10.2.0.1', 'fd02::1'], eth0: ['10.1.0.1', 'fd01::1'] } };
const run = (tables: Table[], text: string, env = ENV) => evaluateFlow(planRuleset({ tables }), makeEnvironment(env), parseFlow(text), { trace: true });
const statefulFwd = (extra: Parameters<typeof base>[2] = [], policy: 'accept' | 'drop' = 'drop') =>
  base('fwd', { hook: 'forward', policy }, [rule([m('ct state', { set: ['established', 'related'] })], v('accept'), 'est'), ...extra]);
const deciding = (tables: Table[], r: ReturnType<typeof run>) =>
  r.steps.map((s) => `${s.step} ${s.result.verdict} ${s.result.rule === undefined ? 'policy' : ruleLabel(planRuleset({ tables }), s.result.rule)}`);

describe('flowOutcomes: stateful expressions on a connection', () => {
  it('numgen picks the endpoint of the first packet; the reply and the next packet follow it, and a limit on the reply can stop it', () => {
    const lb = table('ip', 'nat', [base('pre', { type: 'nat', hook: 'prerouting', priority: -100 }, [rule([m('ip daddr', '10.2.0.100'), m('meta l4proto', 6)], undefined, 'lb')])]);
    lb.chains[0]!.rules[0]!.exprs.push({ kind: 'nat', type: 'dnat', origin: {}, map: { key: [], state: { what: 'numgen', mode: 'inc', mod: 2, offset: 0 }, elements: [{ key: [0], value: '10.2.0.4', origin: {} }, { key: [1], value: '10.2.0.5', origin: {} }] } });
    const limited = statefulFwd([rule([m('ct state', 'new')], v('accept'), 'new')]);
    limited.rules[0]!.exprs.unshift(m('meta iifname', 'eth1'), { kind: 'state', source: { what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: false }, op: '==', origin: {} });
    limited.rules.splice(1, 0, rule([m('meta iifname', 'eth0'), m('ct state', 'established')], v('accept'), 'out'));
    const tables = [lb, table('ip', 'f', [limited])];
    const { outcomes, more } = flowOutcomes(planRuleset({ tables }), makeEnvironment(ENV), parseFlow('tcp 10.1.0.2:40000 -> 10.2.0.100:80 iif eth0 oif eth1'));
    expect(more).toBe(false);
    // Per endpoint: the reply within the limit (works) or over it (dropped by the policy).
    expect(outcomes.map((o) => [o.result.steps[0]!.result.packet.daddr, o.result.works, o.draws.map((d) => d.choice)])).toEqual([
      ['10.2.0.4', true, [0, 0]], ['10.2.0.4', false, [0, 1]], ['10.2.0.5', true, [1, 0]], ['10.2.0.5', false, [1, 1]],
    ]);
    expect(outcomes[0]!.result.steps[1]!.packet.saddr).toBe('10.2.0.4');
  });
});

describe('evaluateFlow', () => {
  it('a stateful forward chain: the SYN by the new rule, reply and ACK by the established rule', () => {
    const tables = [table('inet', 'f', [statefulFwd([rule([m('meta iifname', 'eth0'), m('meta l4proto', 6), m('th dport', 80)], v('accept'), 'web')])])];
    const r = run(tables, 'tcp 10.1.0.2:40000 -> 10.2.0.2:80 iif eth0 oif eth1');
    expect(r.works).toBe(true);
    expect(deciding(tables, r)).toEqual(['first accept inet f fwd rule web', 'reply accept inet f fwd rule est', 'next accept inet f fwd rule est']);
    expect(r.steps.map((s) => formatPacket(s.packet))).toEqual([
      'tcp 10.1.0.2:40000 -> 10.2.0.2:80 iif eth0 oif eth1 ct new flags syn len 40',
      'tcp 10.2.0.2:80 -> 10.1.0.2:40000 iif eth1 oif eth0 ct established flags syn,ack len 40',
      'tcp 10.1.0.2:40000 -> 10.2.0.2:80 iif eth0 oif eth1 ct established flags ack len 40',
    ]);
  });

  it('no established rule: the reply dies by the policy and the connection does not open', () => {
    const tables = [table('ip', 'f', [base('fwd', { hook: 'forward', policy: 'drop' }, [rule([m('meta l4proto', 6), m('th dport', 80)], v('accept'), 'web')])])];
    const r = run(tables, 'tcp 10.1.0.2:40000 -> 10.2.0.2:80 iif eth0 oif eth1');
    expect([r.opens, r.works, r.failed, r.steps.length]).toEqual([false, false, 'reply', 2]);
    expect(r.steps[1]!.result.by).toBe('policy');
  });

  it('dnat: the reply comes from the new destination and leaves with the original one as its source', () => {
    const tables = [table('ip', 'n', [
      base('pre', { type: 'nat', hook: 'prerouting', priority: -100 }, [rule([m('ip daddr', '10.9.0.1'), m('meta l4proto', 6), m('th dport', 80)], undefined, 'vip')]),
      statefulFwd([rule([m('ip daddr', '10.2.0.2'), m('meta l4proto', 6), m('th dport', 8080)], v('accept'), 'backend')]),
      // A filter chain after the nat hook in postrouting sees the reply's source translated back.
      base('post', { hook: 'postrouting', priority: 200, policy: 'accept' }, [rule([m('ip saddr', '10.2.0.2'), m('ct state', 'established')], v('drop'), 'leak')]),
    ])];
    tables[0]!.chains[0]!.rules[0]!.exprs.push(nat('dnat', '10.2.0.2', 8080));
    const r = run(tables, 'tcp 10.1.0.2:40000 -> 10.9.0.1:80 iif eth0 oif eth1');
    expect(r.works).toBe(true);
    expect(r.steps[1]!.packet.saddr).toBe('10.2.0.2');
    expect(r.steps[1]!.conntrackNat).toEqual({ src: { addr: '10.9.0.1', port: 80 } });
    expect(r.steps[1]!.result.packet.saddr).toBe('10.9.0.1');
    expect(r.steps[1]!.result.packet.sport).toBe(80);
    expect(r.steps[2]!.result.packet.daddr).toBe('10.2.0.2');
    expect(r.steps[2]!.result.packet.dport).toBe(8080);
    // The last base chain (postrouting's filter) decides by its policy; forward's rule accepted on the way.
    expect(deciding(tables, r)[0]).toBe('first accept policy');
    const plan = planRuleset({ tables });
    expect(r.steps[0]!.result.trace!.flatMap((e) => (e.kind === 'verdict' && e.verdict === 'accept' ? [ruleLabel(plan, e.rule)] : []))).toEqual(['ip n pre rule vip', 'ip n fwd rule backend']);
  });

  it('masquerade: the reply to the gateway address is forwarded to the original source', () => {
    const tables = [table('ip', 'n', [
      base('post', { type: 'nat', hook: 'postrouting', priority: 100 }, [rule([m('meta oifname', 'eth1')], undefined, 'masq')]),
      statefulFwd([rule([m('meta iifname', 'eth0')], v('accept'), 'out')]),
      // Before the nat hook (-100) the reply still goes to the gateway's address; after it, to the client.
      base('early', { hook: 'prerouting', priority: -150, policy: 'accept' }, [rule([m('ip daddr', '10.1.0.2')], v('drop'), 'early')]),
      base('late', { hook: 'prerouting', priority: -50, policy: 'accept' }, [rule([m('ip daddr', '10.2.0.1')], v('drop'), 'late')]),
    ])];
    tables[0]!.chains[0]!.rules[0]!.exprs.push(nat('masquerade'));
    const r = run(tables, 'udp 10.1.0.2:5000 -> 10.2.0.2:53 iif eth0 oif eth1');
    expect(r.works).toBe(true);
    expect(r.steps[0]!.result.packet.saddr).toBe('10.2.0.1');
    expect(r.steps[1]!.packet.daddr).toBe('10.2.0.1');
    expect(r.steps[1]!.result.hooks).toEqual(['prerouting', 'forward', 'postrouting']);
    expect(r.steps[1]!.result.packet.daddr).toBe('10.1.0.2');
  });

  it('the ct mark the first packet set is the connection\'s: the reply reads it', () => {
    const tables = [table('inet', 'f', [
      base('pre', { hook: 'prerouting', priority: 0 }, [rule([m('ct state', 'new'), setMark('ct mark', 7)], undefined, 'tag')]),
      base('fwd', { hook: 'forward', policy: 'drop' }, [rule([m('ct mark', 7)], v('accept'), 'tagged')]),
    ])];
    const r = run(tables, 'udp 10.1.0.2:5000 -> 10.2.0.2:53 iif eth0 oif eth1');
    expect(r.works).toBe(true);
    expect(r.steps[1]!.packet.ctMark).toBe(7);
  });

  it('to the host: the reply is sent by the host (output → postrouting); from the host: the reply goes to input', () => {
    const tables = [table('inet', 'f', [
      base('in', { hook: 'input', policy: 'drop' }, [rule([m('ct state', { set: ['established', 'related'] })], v('accept'), 'est'), rule([m('meta l4proto', 6), m('th dport', 22)], v('accept'), 'ssh')]),
      base('out', { hook: 'output', policy: 'drop' }, [rule([m('ct state', 'established')], v('accept'), 'est-out'), rule([m('meta l4proto', 17), m('th dport', 53)], v('accept'), 'dns')]),
    ])];
    const r = run(tables, 'tcp 10.1.0.2:40000 -> 192.0.2.1:22 iif eth0');
    expect(r.works).toBe(true);
    expect(r.steps.map((s) => s.result.hooks.join(','))).toEqual(['prerouting,input', 'output,postrouting', 'prerouting,input']);
    const back = run(tables, 'udp 10.1.0.1:5000 -> 10.1.0.9:53 oif eth0 local');
    expect(back.works).toBe(true);
    expect(back.steps.map((s) => s.result.hooks.join(','))).toEqual(['output,postrouting', 'prerouting,input', 'output,postrouting']);
    expect(deciding(tables, back)).toEqual(['first accept inet f out rule dns', 'reply accept inet f in rule est', 'next accept inet f out rule est-out']);
  });

  it('icmp echo: request, reply type 0, request again; icmpv6 likewise with 128/129', () => {
    const tables = [table('inet', 'f', [statefulFwd([rule([m('meta l4proto', 1), m('th sport', 0x800)], v('accept'), 'ping'), rule([m('meta l4proto', 58), m('th sport', 128 << 8)], v('accept'), 'ping6')])])];
    const r4 = run(tables, 'icmp 10.1.0.2 -> 10.2.0.2 iif eth0 oif eth1');
    expect(r4.works).toBe(true);
    expect(r4.steps[1]!.packet.sport).toBe(0);
    const r6 = run(tables, 'icmpv6 fd01::2 -> fd02::2 iif eth0 oif eth1');
    expect(r6.works).toBe(true);
    expect(r6.steps[1]!.packet.sport).toBe(129 << 8);
  });

  it('refuses what conntrack decides and what is not a connection, located', () => {
    for (const [text, msg] of [
      ['tcp 10.0.0.1:1 -> 10.0.0.2:2 ct established', /"ct" is not for a flow/],
      ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags ack', /"flags" is not for a flow/],
      ['sctp 10.0.0.1:1 -> 10.0.0.2:2', /flows are tcp, udp/],
      ['icmp fd00::1 -> fd00::2', /not a connection conntrack tracks/],
      ['tcp 10.0.0.1:1 => 10.0.0.2:2', /expected/],
    ] as const) {
      let err: unknown;
      try {
        parseFlow(text, { field: '--flow' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NftlensError);
      expect((err as NftlensError).message).toMatch(msg);
      expect((err as NftlensError).diagnostics[0]!.origin).toEqual({ field: '--flow' });
    }
  });
});
