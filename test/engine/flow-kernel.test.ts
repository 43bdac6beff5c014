// The flow evaluation against the kernel: real TCP connections, UDP request/reply and ICMP echo
// (IPv4 and IPv6; forward path, and TCP/UDP to and from the gateway itself) from a client namespace through a gateway namespace that runs the
// policy to a server namespace (test/support/connections.ts), on hand-written and seeded random
// policies with `ct state established,related` rules, DNAT (also to another port), SNAT and
// masquerade, ct status through a connection (replies seen and confirmed, TCP's third packet
// assured, a DNATed connection's bits), and filter chains before and after the NAT hooks. For every connection each step
// (first packet, reply, next packet) is delivered or not as evaluateFlow says, and the connection
// works (for the application) exactly when the model says it works: zero mismatches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvironment } from '../../src/engine/environment.js';
import { evaluateFlow, parseFlow } from '../../src/engine/flow.js';
import { planRuleset } from '../../src/engine/plan.js';
import { prng } from '../../src/model/prng.js';
import { CLIENT, ConnectionLab, GATEWAY, GATEWAY_ENV, GATEWAY_OUT, SERVER, TCP_PORTS, UDP_PORTS, VIP, type LabFlow } from '../support/connections.js';
import { noKernel } from '../support/kernel.js';

let nextPort = 20000;
let nextId = 1;

function flow(proto: LabFlow['proto'], family: 4 | 6, dst: string, dport = 0, path: LabFlow['path'] = 'forward'): LabFlow {
  return { id: nextId++, proto, family, dst, sport: nextPort++, dport, path };
}

/** The flow's text for the engine, and (ICMP) the checksum the model gives its request. */
function flowText(f: LabFlow): string {
  const host = (a: string) => (f.family === 6 ? `[${a}]` : a);
  const src = f.path === 'output' ? GATEWAY_OUT[f.family] : CLIENT[f.family];
  const ends = f.proto === 'icmp' ? `${src} -> ${f.dst}` : `${host(src)}:${f.sport} -> ${host(f.dst)}:${f.dport}`;
  const where = f.path === 'input' ? 'iif eth0' : f.path === 'output' ? 'oif eth1 local' : 'iif eth0 oif eth1';
  return `${f.proto === 'icmp' && f.family === 6 ? 'icmpv6' : f.proto} ${ends} ${where}`;
}

interface Mismatch {
  policy: string;
  flow: string;
  model: boolean[];
  kernel: boolean[];
}

const HAND: Record<string, string> = {
  stateful: `table inet f {
  chain fw { type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "eth0" tcp dport 7000-7005 accept
    iifname "eth0" meta l4proto { udp, icmp, ipv6-icmp } accept
  }
}`,
  // Replies need rules of their own: some ports have one, some not.
  stateless: `table inet f {
  chain fw { type filter hook forward priority 0; policy drop;
    iifname "eth0" accept
    iifname "eth1" tcp sport { 7000, 7002 } accept
    iifname "eth1" udp sport 7100 accept
    iifname "eth1" icmp type echo-reply accept
  }
}`,
  // DNAT (also to another port) and masquerade; filters before and after the NAT hooks see the
  // reply before and after conntrack undoes the NAT.
  nat: `table ip nat4 {
  chain pre { type nat hook prerouting priority -100; policy accept;
    ip daddr 10.9.0.1 tcp dport 7010 dnat to 10.2.0.2:7001
    ip daddr 10.9.0.1 meta l4proto { tcp, udp, icmp } dnat to 10.2.0.2
  }
  chain post { type nat hook postrouting priority 100; policy accept;
    oifname "eth1" ip saddr 10.1.0.0/24 masquerade
  }
}
table ip6 nat6 {
  chain pre { type nat hook prerouting priority -100; policy accept;
    ip6 daddr fd09::1 dnat to fd02::2
  }
  chain post { type nat hook postrouting priority 100; policy accept;
    oifname "eth1" snat to fd08::1
  }
}
table inet f {
  chain early { type filter hook prerouting priority -150; policy accept;
    ip daddr 10.2.0.1 udp sport 7101 drop
    ip daddr 10.1.0.2 udp sport 7102 drop
  }
  # At the nat hook's own priority: created after the family's first nat chain, it runs first
  # (sees the reply before conntrack undoes the masquerade), as the plan orders such ties.
  chain tie { type filter hook prerouting priority -100; policy accept;
    ip daddr 10.1.0.2 udp sport 7107 drop
    ip daddr 10.2.0.1 udp sport 7104 drop
  }
  chain late { type filter hook prerouting priority -50; policy accept;
    ip daddr 10.1.0.2 udp sport 7103 drop
    ip6 daddr fd08::1 udp sport 7104 drop
    ip6 daddr fd01::2 udp sport 7105 drop
  }
  chain fw { type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ip daddr 10.2.0.2 tcp dport { 7000, 7001, 7003 } accept
    ip daddr 10.2.0.2 meta l4proto { udp, icmp } accept
    ip6 daddr fd02::2 accept
  }
  chain out { type filter hook postrouting priority 200; policy accept;
    ip saddr 10.9.0.1 tcp sport 7003 ct state established drop
    ip6 saddr fd09::1 udp sport 7106 drop
  }
}`,
  // Connections conntrack does not see whole: the first packet untracked, so the reply is
  // conntrack's to classify alone (a UDP reply new, a TCP SYN-ACK invalid) and the next one
  // untracked again.
  notrack: `table inet f {
  chain raw { type filter hook prerouting priority -300; policy accept;
    udp dport { 7106, 7107 } notrack
    tcp dport { 7010, 7011 } notrack
  }
  chain fw { type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ct state untracked accept
    iifname "eth0" ct state new accept
    iifname "eth1" udp sport 7106 ct state new accept
    iifname "eth1" tcp sport 7010 ct state invalid accept
  }
}`,
  // ct status through a connection: the reply has seen-reply and confirmed, TCP's third packet is
  // assured (UDP's next one is not yet), a DNATed connection carries dnat and both NAT_DONE bits.
  status: `table ip nat4 {
  chain pre { type nat hook prerouting priority -100; policy accept;
    ip daddr 10.9.0.1 meta l4proto { tcp, udp } dnat to 10.2.0.2
  }
}
table inet f {
  chain fw { type filter hook forward priority 0; policy drop;
    iifname "eth0" ct state new accept
    iifname "eth1" tcp sport 7000 ct status & (seen-reply | confirmed) == (seen-reply | confirmed) accept
    iifname "eth0" tcp dport 7000 ct status & assured == assured accept
    iifname "eth1" tcp sport 7001 ct status dnat accept
    iifname "eth0" tcp dport 7001 ct status dnat accept
    iifname "eth1" udp sport 7100 ct status & 0x1aa == 0x1aa accept
    iifname "eth0" udp dport 7100 ct status & assured == 0 accept
    iifname "eth1" udp sport 7101 ct status & 0x180 == 0x180 accept
    iifname "eth0" udp dport 7101 accept
  }
}`,
  // The gateway as an end: connections to it (input, reply from output) and from it (output,
  // reply to input), with an SNAT in input and a DNAT in output.
  local: `table inet f {
  chain in { type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "eth0" tcp dport { 7000, 7001, 7002 } accept
    iifname "eth0" udp dport 7100 accept
  }
  chain out { type filter hook output priority 0; policy drop;
    ct state established tcp sport != 7002 accept
    ct state established meta l4proto udp accept
    oifname "eth1" tcp dport 7000-7002 accept
    oifname "eth1" udp dport { 7100, 7101 } accept
    tcp sport 7003 accept
  }
}
table ip nat4 {
  chain out { type nat hook output priority -100; policy accept;
    ip daddr 10.9.0.1 udp dport 7101 dnat to 10.2.0.2
  }
  chain in { type nat hook input priority 100; policy accept;
    tcp dport 7001 snat to 10.1.0.77
  }
}`,
};

function handFlows(name: string): LabFlow[] {
  if (name === 'local') {
    return ([4, 6] as const).flatMap((family) => [
      ...[7000, 7001, 7002, 7003].map((p) => flow('tcp', family, GATEWAY[family], p, 'input')),
      ...[7100, 7101].map((p) => flow('udp', family, GATEWAY[family], p, 'input')),
      ...[7000, 7002, 7003].map((p) => flow('tcp', family, SERVER[family], p, 'output')),
      ...[7100, 7101, 7102].map((p) => flow('udp', family, family === 4 && p === 7101 ? VIP[4] : SERVER[family], p, 'output')),
    ]);
  }
  if (name === 'status') {
    return [
      ...([4, 6] as const).flatMap((family) => [7000, 7002].map((p) => flow('tcp', family, SERVER[family], p))),
      flow('tcp', 4, VIP[4], 7001), flow('tcp', 4, SERVER[4], 7001), flow('udp', 4, VIP[4], 7100), flow('udp', 4, SERVER[4], 7100),
      flow('udp', 4, SERVER[4], 7101), flow('udp', 6, SERVER[6], 7101),
    ];
  }
  if (name === 'notrack') {
    return ([4, 6] as const).flatMap((family) => [
      ...[7000, 7010, 7011].map((p) => flow('tcp', family, SERVER[family], p)),
      ...[7100, 7106, 7107].map((p) => flow('udp', family, SERVER[family], p)),
    ]);
  }
  const fs: LabFlow[] = [];
  for (const family of [4, 6] as const) {
    for (const p of [7000, 7001, 7003, 7006]) fs.push(flow('tcp', family, SERVER[family], p));
    for (const p of [7100, 7101]) fs.push(flow('udp', family, SERVER[family], p));
    fs.push(flow('icmp', family, SERVER[family]));
    if (name === 'nat') {
      for (const p of [7000, 7003, 7010]) fs.push(flow('tcp', family, VIP[family], p));
      for (const p of [7101, 7102, 7103, 7104, 7105, 7106, 7107]) fs.push(flow('udp', family, VIP[family], p));
      fs.push(flow('icmp', family, VIP[family]));
    }
  }
  return fs;
}

/** A seeded random gateway policy: a stateful-or-not forward chain, NAT both ways, filters around the NAT hooks. */
function randomPolicy(seed: number): string {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const atoms = [
    'ct state new', 'ct state established', 'ct state invalid', 'ct state established,related',
    'iifname "eth0"', 'iifname "eth1"', 'oifname "eth1"', 'oifname "eth0"',
    'ip saddr 10.1.0.0/24', 'ip daddr 10.2.0.2', 'ip saddr 10.2.0.2', 'ip daddr 10.1.0.2', 'ip daddr 10.9.0.1', 'ip saddr 10.9.0.1',
    'ip6 saddr fd01::/64', 'ip6 daddr fd02::2', 'ip6 saddr fd02::2', 'ip6 daddr fd09::1', 'ip6 saddr fd09::1',
    'tcp dport 7000-7005', 'tcp dport { 7002, 7007, 7010 }', 'tcp dport != 7003', 'tcp sport 7000-7006', 'udp dport 7100-7104', 'udp sport 7101-7106',
    'meta l4proto icmp', 'meta l4proto ipv6-icmp', 'meta l4proto { tcp, udp }', 'icmp type echo-reply', 'icmpv6 type echo-request',
  ];
  // At most one atom per kind: nft refuses two protocols (or IP versions) in one rule.
  const kind = (a: string) => (a.startsWith('ct') ? 'ct' : a.includes('ifname') ? 'if' : a.startsWith('ip') ? 'addr' : 'proto');
  const rules = (n: number, verdicts: string[]) => Array.from({ length: n }, () => {
    const first = pick(atoms);
    const second = pick(atoms);
    const parts = rnd() < 0.5 || kind(first) === kind(second) || (kind(first) !== 'ct' && kind(first) !== 'if' && kind(second) !== 'ct' && kind(second) !== 'if') ? [first] : [first, second];
    return `    ${parts.join(' ')} ${pick(verdicts)}`;
  });
  const fw = rules(3 + Math.floor(rnd() * 5), ['accept', 'accept', 'drop']);
  if (chance(0.75)) fw.splice(Math.floor(rnd() * Math.min(2, fw.length + 1)), 0, '    ct state established,related accept');
  const text = [`table inet f {
  chain fw { type filter hook forward priority 0; policy ${chance(0.7) ? 'drop' : 'accept'};
${fw.join('\n')}
  }`];
  if (chance(0.4)) text.push(`  chain early { type filter hook prerouting priority -150; policy accept;\n${rules(2, ['drop', 'accept']).join('\n')}\n  }`);
  if (chance(0.4)) text.push(`  chain late { type filter hook postrouting priority 200; policy accept;\n${rules(2, ['drop', 'accept']).join('\n')}\n  }`);
  text.push('}');
  const dnat4 = [
    chance(0.5) ? '    ip daddr 10.9.0.1 tcp dport 7010 dnat to 10.2.0.2:7001' : '',
    chance(0.7) ? `    ip daddr 10.9.0.1 ${pick(['tcp dport 7000-7009', 'meta l4proto { tcp, udp }', 'meta l4proto { udp, icmp }', 'ip protocol tcp'])} dnat to 10.2.0.2` : '',
  ].filter(Boolean);
  const snat4 = pick(['', 'oifname "eth1" ip saddr 10.1.0.0/24 masquerade', 'oifname "eth1" snat to 10.8.0.1', 'ip daddr 10.2.0.2 tcp dport 7000-7005 masquerade', 'meta l4proto udp snat to 10.8.0.1']);
  const dnat6 = chance(0.6) ? `    ip6 daddr fd09::1 ${pick(['', 'meta l4proto tcp ', 'udp dport 7100-7105 '])}dnat to fd02::2` : '';
  const snat6 = pick(['', 'oifname "eth1" masquerade', 'oifname "eth1" snat to fd08::1', 'meta l4proto ipv6-icmp snat to fd08::1']);
  text.push(`table ip nat4 {
  chain pre { type nat hook prerouting priority -100; policy accept;
${dnat4.join('\n')}
  }
  chain post { type nat hook postrouting priority 100; policy accept;
    ${snat4}
  }
}
table ip6 nat6 {
  chain pre { type nat hook prerouting priority -100; policy accept;
${dnat6}
  }
  chain post { type nat hook postrouting priority 100; policy accept;
    ${snat6}
  }
}`);
  return text.join('\n');
}

function randomFlows(seed: number, n: number): LabFlow[] {
  const rnd = prng(seed * 7919 + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const fs: LabFlow[] = [];
  const icmpDone = new Set<string>();
  for (let i = 0; i < n; i++) {
    const family = rnd() < 0.6 ? 4 : 6;
    const dst = rnd() < 0.5 ? SERVER[family] : VIP[family];
    const r = rnd();
    if (r < 0.12 && !icmpDone.has(`${family}${dst}`)) {
      icmpDone.add(`${family}${dst}`);
      fs.push(flow('icmp', family, dst));
    } else if (r < 0.6) fs.push(flow('tcp', family, dst, pick(TCP_PORTS)));
    else fs.push(flow('udp', family, dst, pick(UDP_PORTS)));
  }
  return fs;
}

/** A seeded random policy for the gateway as an end: input and output chains, stateful or not. */
function randomLocalPolicy(seed: number): string {
  const rnd = prng(seed * 104729 + 3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const atoms = ['ct state new', 'ct state established', 'iifname "eth0"', 'oifname "eth1"', 'ip saddr 10.1.0.0/24', 'ip daddr 10.2.0.2', 'ip6 daddr fd02::2',
    'ip6 saddr fd01::/64', 'tcp dport 7000-7005', 'tcp sport 7000-7005', 'udp dport { 7100, 7102, 7104 }', 'udp sport 7100-7103', 'meta l4proto tcp', 'tcp dport != 7003'];
  const rules = () => Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => `    ${pick(atoms)} ${pick(['accept', 'accept', 'drop'])}`);
  const chain = (name: string, hook: string) => {
    const r = rules();
    if (rnd() < 0.6) r.unshift('    ct state established,related accept');
    return `  chain ${name} { type filter hook ${hook} priority 0; policy ${rnd() < 0.6 ? 'drop' : 'accept'};\n${r.join('\n')}\n  }`;
  };
  return `table inet f {\n${chain('in', 'input')}\n${chain('out', 'output')}\n}`;
}

function randomLocalFlows(seed: number, n: number): LabFlow[] {
  const rnd = prng(seed * 31 + 7);
  return Array.from({ length: n }, () => {
    const family = rnd() < 0.6 ? 4 : 6;
    const proto = rnd() < 0.6 ? 'tcp' : 'udp';
    const port = proto === 'tcp' ? TCP_PORTS[Math.floor(rnd() * 8)]! : UDP_PORTS[Math.floor(rnd() * 6)]!;
    return rnd() < 0.5 ? flow(proto, family, GATEWAY[family], port, 'input') : flow(proto, family, SERVER[family], port, 'output');
  });
}

describe.skipIf(noKernel)('flows against real connections through the kernel', () => {
  let lab: ConnectionLab;
  const mismatches: Mismatch[] = [];
  const tally = { connections: 0, works: 0, ipv6: 0, steps: 0, local: 0, localWorks: 0 };
  beforeAll(async () => {
    lab = await ConnectionLab.create();
  }, 60_000);
  afterAll(async () => {
    await lab?.dispose();
  });

  async function check(name: string, text: string, flows: LabFlow[]): Promise<void> {
    const ruleset = await lab.load(text);
    const plan = planRuleset(ruleset);
    const env = makeEnvironment(GATEWAY_ENV);
    const predicted = flows.map((f) => {
      const first = parseFlow(flowText(f));
      if (f.proto === 'icmp') f.csum = first.dport;
      return evaluateFlow(plan, env, first);
    });
    const seen = await lab.run(flows);
    flows.forEach((f, i) => {
      const p = predicted[i]!;
      const acc = (k: number) => p.steps.length > k && p.steps.slice(0, k + 1).every((s) => s.result.verdict === 'accept');
      // The application's view covers more packets than the three steps (data, both ways): it is
      // compared when conntrack tracks the connection from its first packet, where those packets
      // are established like the steps; without an entry each is conntrack's to classify alone.
      const tracked = p.steps[0]!.result.packet.ctState === 'new';
      const o = seen.get(f.id)!;
      const model = [acc(0), acc(1), acc(2), ...(tracked ? [p.works] : [])];
      const kernel = [o.first, o.reply, o.next, ...(tracked ? [o.app] : [])];
      tally.connections++;
      tally.steps += p.steps.length;
      if (p.works) tally.works++;
      if (f.family === 6) tally.ipv6++;
      if (f.path !== 'forward') {
        tally.local++;
        if (p.works) tally.localWorks++;
      }
      if (model.join() !== kernel.join()) {
        mismatches.push({ policy: name, flow: flowText(f), model, kernel });
        console.log(`MISMATCH ${name}: ${flowText(f)} model ${model} kernel ${kernel}\n${text}\n${p.steps.map((s) => `${s.step} ${s.result.verdict} ${s.result.hooks.join(',')} -> ${JSON.stringify(s.result.packet)}`).join('\n')}`);
      }
    });
  }

  for (const name of Object.keys(HAND)) {
    it(`hand-written policy "${name}"`, async () => {
      await check(name, HAND[name]!, handFlows(name));
    }, 60_000);
  }

  for (let seed = 1; seed <= 3; seed++) {
    it(`random policy ${seed} at input and output`, async () => {
      await check(`random local ${seed}`, randomLocalPolicy(seed), randomLocalFlows(seed, 12));
    }, 60_000);
  }

  for (let seed = 1; seed <= 8; seed++) {
    it(`random policy ${seed}`, async () => {
      await check(`random ${seed}`, randomPolicy(seed), randomFlows(seed, 12));
    }, 60_000);
  }

  it('zero mismatches over at least 64 connections, some working and some not, IPv6 included', () => {
    console.log(`flow kernel test: ${tally.connections} connections (${tally.ipv6} IPv6; ${tally.local} to or from the gateway, ${tally.localWorks} of them working), ${tally.works} working, ${tally.steps} steps compared; mismatches: ${mismatches.length}`);
    expect(mismatches).toEqual([]);
    expect(tally.connections).toBeGreaterThanOrEqual(64);
    expect(tally.works).toBeGreaterThan(10);
    expect(tally.connections - tally.works).toBeGreaterThan(10);
    expect(tally.ipv6).toBeGreaterThan(16);
    expect(tally.localWorks).toBeGreaterThan(4);
    expect(tally.local - tally.localWorks).toBeGreaterThan(4);
  });
});
