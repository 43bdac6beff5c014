// The engine on the real-world rulesets it imports (../shared/fixtures/nftables/real-world): the
// packets that fixture README says are worth testing get the outcomes it gives — the verdict, the
// rule (by its comment, or its chain) and what NAT did. Docker dispatches through interface verdict
// maps to per-bridge chains, so these also check map lookups end to end; the Liqo gateway remaps
// CIDRs with netmap NAT and stamps marks; firewalld checks IPv6 reverse paths against the host's
// routes (FIREWALLD below: a default route out of enp0s3), Calico its workloads' (CALICO). The host's own address is 203.0.113.1 (IPv6
// 2001:db8::1) on eth0; the bridge br-dummy holds 192.168.0.1 / fd49:efd7:54aa::ffff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRuleset, parsePacket, ReferenceEngine, type EvalResult, type Plan } from '../../src/engine/index.js';
import type { EngineOptions } from '../../src/engine/environment.js';
import { importNftJson } from '../../src/frontends/nft-json/index.js';
import { sharedCorpus } from '../support/corpus.js';

const DIR = sharedCorpus('fixtures/nftables/real-world/');
const ENV = { interfaceAddresses: { eth0: ['203.0.113.1', '2001:db8::1'], 'br-dummy': ['192.168.0.1', 'fd49:efd7:54aa::ffff'] } };

interface Want {
  verdict: EvalResult['verdict'];
  /** The rules that ended a chain with accept, drop or reject, in order, by comment (or position and chain); none: policies decided. */
  by: string[];
  /** The packet after NAT: destination and source as `addr[:port]`. */
  to?: string;
  from?: string;
  /** The packet's marks after the rules. */
  mark?: number;
  ctMark?: number;
}

/** Each packet's outcome, or (a list) every outcome the state allows (engine/outcomes.ts), in order. */
function outcomes(name: string, cases: Record<string, Want | Want[]>, env: EngineOptions = ENV): void {
  describe.skipIf(!DIR)(name, () => {
    const { ruleset } = importNftJson(readFileSync(`${DIR}${name}.json`, 'utf8'), `${name}.json`);
    const engine = compileRuleset(ruleset, env);
    const ref = new ReferenceEngine(ruleset, env);
    it.each(Object.entries(cases))('%s', (packet, want) => {
      const p = parsePacket(packet);
      const all = engine.outcomes(p, { trace: true });
      expect(all).toEqual(ref.outcomes(p, { trace: true }));
      const wants = Array.isArray(want) ? want : [want];
      const got = all.outcomes.map(({ result: r }, i): Want => {
        const w = wants[i] ?? wants[0]!;
        const g: Want = { verdict: r.verdict, by: deciders(engine.plan, r) };
        const port = (a: string, n: number | undefined) => (n === undefined || p.l4proto === 1 ? a : a.includes(':') ? `[${a}]:${n}` : `${a}:${n}`);
        if (w.to) g.to = port(r.packet.daddr, r.packet.dport);
        if (w.from) g.from = port(r.packet.saddr, r.packet.sport);
        if (w.mark !== undefined) g.mark = r.packet.mark;
        if (w.ctMark !== undefined) g.ctMark = r.packet.ctMark;
        return g;
      });
      expect(got).toEqual(wants);
    });
  });
}

/** The rules that ended a chain with accept, drop or reject, in the order the packet met them. */
function deciders(plan: Plan, r: EvalResult): string[] {
  return r.trace!.flatMap((e) => {
    if (e.kind !== 'verdict' || (e.verdict !== 'accept' && e.verdict !== 'drop' && e.verdict !== 'reject')) return [];
    const info = plan.rules[e.rule]!;
    return [info.rule.comment ?? `rule #${info.index + 1} of ${plan.chains[info.chain]!.chain.name}`];
  });
}

outcomes('docker-bridge-nat-dualstack', {
  'tcp 198.51.100.7:40000 -> 203.0.113.1:8080 iif eth0 oif br-dummy': { verdict: 'accept', by: ['DNAT', 'rule #3 of filter-forward-in__br-dummy'], to: '192.168.0.2:80' },
  'tcp 198.51.100.7:40000 -> 192.168.0.2:80 iif eth0 oif br-dummy': { verdict: 'drop', by: ['DROP DIRECT ACCESS'] },
  'tcp 198.51.100.7:40000 -> 192.168.0.3:80 iif eth0 oif br-dummy': { verdict: 'drop', by: ['UNPUBLISHED PORT DROP'] },
  'tcp 192.168.0.2:40000 -> 8.8.8.8:443 iif br-dummy oif eth0': { verdict: 'accept', by: ['OUTGOING', 'MASQUERADE'], from: '203.0.113.1:40000' },
  'tcp 192.168.0.3:40000 -> 192.168.0.2:80 iif br-dummy oif br-dummy': { verdict: 'accept', by: ['ICC'] },
  'tcp 192.168.0.2:80 -> 198.51.100.7:40000 iif br-dummy oif eth0 ct established': { verdict: 'accept', by: ['rule #1 of filter-forward-out__br-dummy'] },
  'tcp [2001:db8::7]:40000 -> [2001:db8::1]:8080 iif eth0 oif br-dummy': { verdict: 'accept', by: ['DNAT', 'rule #3 of filter-forward-in__br-dummy'], to: '[fd49:efd7:54aa::1]:80' },
  'tcp [fe80::7]:40000 -> [2001:db8::1]:8080 iif eth0 dst-local': { verdict: 'accept', by: [], to: '[2001:db8::1]:8080' },
  'udp 198.51.100.7:40000 -> 203.0.113.1:53 iif eth1 dst-local': { verdict: 'accept', by: [], to: '203.0.113.1:53' },
});

outcomes('docker-bridge-routed-icc-off', {
  'tcp 198.51.100.7:40000 -> 192.168.0.2:80 iif eth0 oif br-dummy': { verdict: 'accept', by: ['rule #4 of filter-forward-in__br-dummy'], to: '192.168.0.2:80' },
  'tcp 198.51.100.7:40000 -> 192.168.0.2:22 iif eth0 oif br-dummy': { verdict: 'drop', by: ['UNPUBLISHED PORT DROP'] },
  'icmp 198.51.100.7 -> 192.168.0.2 type 8 code 0 iif eth0 oif br-dummy': { verdict: 'accept', by: ['ICMP'] },
  'tcp 192.168.0.2:40000 -> 8.8.8.8:443 iif br-dummy oif eth0': { verdict: 'accept', by: ['OUTGOING'], from: '192.168.0.2:40000' },
  'tcp 192.168.0.3:40000 -> 192.168.0.2:80 iif br-dummy oif br-dummy': { verdict: 'drop', by: ['ICC'] },
});

outcomes('liqo-gateway-rome', {
  'tcp 10.61.9.9:40000 -> 10.61.3.4:80 iif liqo.vxqh6sgcjw oif liqo-tunnel': { verdict: 'accept', by: ['7ae43541-9fb5-4a8e-b7de-c0032a896d26'], to: '10.200.3.4:80' },
  'tcp 10.61.9.9:40000 -> 10.61.3.4:80 iif eth0 oif liqo-tunnel': { verdict: 'accept', by: [], to: '10.61.3.4:80' },
  'tcp 10.61.9.9:40000 -> 10.61.3.4:80 iif liqo-tunnel oif liqo.vxqh6sgcjw': { verdict: 'accept', by: [], to: '10.61.3.4:80' },
  'tcp 10.200.5.6:40000 -> 10.9.0.1:80 iif liqo-tunnel oif liqo.vxqh6sgcjw': { verdict: 'accept', by: ['c6958314-79bb-445d-aac8-2fb8a0e08846'], from: '10.61.5.6:40000' },
  'tcp 10.200.5.6:40000 -> 10.9.0.1:80 iif liqo-tunnel oif eth0': { verdict: 'accept', by: [], from: '10.200.5.6:40000' },
  'tcp 10.1.2.3:40000 -> 10.70.0.4:80 iif eth0 oif liqo-tunnel': { verdict: 'accept', by: ['nginx-ip-mapping'], to: '10.200.1.11:80' },
  'tcp 10.70.0.4:40000 -> 10.1.2.3:80 iif liqo-tunnel oif eth0': { verdict: 'accept', by: ['nginx-ip-mapping'], from: '10.200.1.11:40000' },
  // NodePort return routing: the node's geneve interface stamps the connection, replies carry it as the packet mark.
  'tcp 10.70.0.0:40000 -> 10.1.2.3:80 iif liqo.rgsq72drdf oif eth0': { verdict: 'accept', by: [], ctMark: 2 },
  'tcp 10.1.2.3:80 -> 10.70.0.0:40000 iif liqo-tunnel oif liqo.rgsq72drdf ct established ctmark 2': { verdict: 'accept', by: [], mark: 2 },
});

// firewalld with libvirt: enp0s3 and enp0s8 in zone public, virbr0 (192.168.122.0/24) in zone libvirt.
const FIREWALLD: EngineOptions = {
  interfaceAddresses: { enp0s3: ['10.0.2.15/24', '2001:db8:1::15/64'], enp0s8: ['192.168.56.10/24', '2001:db8:2::10/64'], virbr0: ['192.168.122.1/24'] },
  routes: ['default dev enp0s3', '::/0 dev enp0s3'],
};

outcomes('firewalld-rhel8-libvirt', {
  'tcp 198.51.100.7:40000 -> 10.0.2.15:22 iif enp0s3 dst-local': { verdict: 'accept', by: ['rule #1 of filter_IN_public_allow'] },
  'tcp 198.51.100.7:40000 -> 10.0.2.15:80 iif enp0s3 dst-local': { verdict: 'reject', by: ['rule #6 of filter_INPUT'] },
  'icmp 198.51.100.7 -> 10.0.2.15 type 8 code 0 iif enp0s3 dst-local': { verdict: 'accept', by: ['rule #6 of filter_IN_public'] },
  'udp [fe80::2]:547 -> [fe80::1]:546 iif enp0s3 dst-local': { verdict: 'accept', by: ['rule #2 of filter_IN_public_allow'] },
  'udp [2001:db8:1::99]:547 -> [2001:db8:1::15]:546 iif enp0s3 dst-local': { verdict: 'reject', by: ['rule #6 of filter_INPUT'] },
  'tcp 198.51.100.7:40000 -> 10.0.2.15:9090 iif enp0s3 dst-local': { verdict: 'accept', by: ['rule #3 of filter_IN_public_allow'] },
  // An interface in no zone: the catch-all goto to the default zone.
  'tcp 198.51.100.7:40000 -> 10.0.2.15:22 iif eth9 dst-local': { verdict: 'accept', by: ['rule #1 of filter_IN_public_allow'] },
  'udp 192.168.122.50:68 -> 192.168.122.1:67 iif virbr0 dst-local': { verdict: 'accept', by: ['rule #3 of INPUT', 'rule #1 of filter_IN_libvirt_allow'] },
  'udp 192.168.122.50:5353 -> 192.168.122.1:53 iif virbr0 dst-local': { verdict: 'accept', by: ['rule #1 of INPUT', 'rule #4 of filter_IN_libvirt_allow'] },
  'tcp 192.168.122.50:40000 -> 192.168.122.1:80 iif virbr0 dst-local': { verdict: 'reject', by: ['rule #1 of filter_IN_libvirt_post'] },
  'tcp [2001:db8:1::99]:40000 -> [2002:7f00::1]:80 iif enp0s3 oif enp0s8': { verdict: 'reject', by: ['rule #3 of filter_FORWARD'] },
  // The reverse-path check: 2001:db8:1::/64 is routed out of enp0s3, so on enp0s8 it is a spoof.
  'tcp [2001:db8:1::99]:40000 -> [2001:db8:2::10]:22 iif enp0s8 dst-local': { verdict: 'drop', by: ['rule #2 of raw_PREROUTING'] },
  'tcp [2001:db8:2::99]:40000 -> [2001:db8:2::10]:22 iif enp0s8 dst-local': { verdict: 'accept', by: ['rule #1 of filter_IN_public_allow'] },
  'tcp 192.168.122.50:40000 -> 8.8.8.8:443 iif virbr0 oif enp0s3': { verdict: 'accept', by: ['rule #2 of FORWARD', 'rule #6 of filter_FWDI_libvirt', 'rule #3 of POSTROUTING'], from: '10.0.2.15:40000' },
  'udp 192.168.122.50:40000 -> 224.0.0.5:443 iif virbr0 oif enp0s3': { verdict: 'accept', by: ['rule #2 of FORWARD', 'rule #6 of filter_FWDI_libvirt'], from: '192.168.122.50:40000' },
}, FIREWALLD);

// Calico on a VXLAN node: eth0 holds the node's address, vxlan.calico the tunnel's; the workload
// interface cali1234 is routed 192.168.1.0/24 (what the reverse-path check looks up).
const CALICO: EngineOptions = {
  interfaceAddresses: { eth0: ['10.128.0.210/24'], 'vxlan.calico': ['192.168.3.0/32'] },
  routes: ['default dev eth0', '192.168.1.0/24 dev cali1234'],
};

outcomes('calico-felix-vxlan-node', {
  'udp 10.128.0.211:4789 -> 10.128.0.210:4789 iif eth0 dst-local': { verdict: 'accept', by: ['cali:Gtn781KKHXqD1ZWy; Allow IPv4 VXLAN packets from allowed hosts'] },
  'udp 10.128.0.99:4789 -> 10.128.0.210:4789 iif eth0 dst-local': { verdict: 'drop', by: ['cali:uwBdMK7MloVtOKLK; Drop IPv4 VXLAN packets from non-allowed hosts'] },
  // From a workload: routed back through its interface, it reaches the (empty) dispatch map; spoofed, the RPF check drops it.
  'tcp 192.168.1.5:4000 -> 8.8.8.8:443 iif cali1234 oif eth0': { verdict: 'drop', by: ['cali:KMISEjprqaGFiicp; Unknown interface'] },
  'tcp 192.168.9.5:4000 -> 8.8.8.8:443 iif cali1234 oif eth0': { verdict: 'drop', by: ['cali:-AqscjC9Vg6h2HXv;'] },
  'tcp 192.168.1.5:4000 -> 8.8.8.8:443 iif eth9 oif eth0': { verdict: 'accept', by: ['cali:JjuWIaIfSLZi41Xk;'], from: '10.128.0.210:4000' },
  'tcp 192.168.1.5:4000 -> 192.168.7.7:443 iif eth9 oif eth0': { verdict: 'accept', by: [], from: '192.168.1.5:4000' },
  'tcp 10.128.0.210:4000 -> 192.168.7.7:443 oif vxlan.calico local': { verdict: 'accept', by: ['cali:2Er8attV1nLNdKXr;'], from: '192.168.3.0:4000' },
  'tcp 192.168.1.5:4000 -> 8.8.8.8:443 iif eth9 oif eth0 ct established': { verdict: 'accept', by: ['cali:hRS28YpQh4sf7lSw;'] },
}, CALICO);

// kube-proxy (nftables mode) on node 192.168.0.2 (eth0); pods behind cni0 (10.0.0.1). The endpoint
// is chosen by numgen and remembered in a dynamic set (session affinity): every choice is an outcome.
const KUBE: EngineOptions = { interfaceAddresses: { eth0: ['192.168.0.2'], cni0: ['10.0.0.1'] } };
const MASQ = 'rule #3 of masquerading';
const dnat = (chain: string, n = 2) => `rule #${n} of endpoint-${chain}/80`;

outcomes('kube-proxy-services', {
  'tcp 10.180.0.2:4000 -> 172.30.0.41:80 iif cni0 oif cni0': { verdict: 'accept', by: [dnat('5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1')], to: '10.180.0.1:80', mark: 0 },
  // Hairpin: DNATed back to itself, marked, so masqueraded (the mark cleared first).
  'tcp 10.180.0.1:4000 -> 172.30.0.41:80 iif cni0 oif cni0': { verdict: 'accept', by: [dnat('5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1'), MASQ], to: '10.180.0.1:80', from: '10.0.0.1:4000', mark: 0 },
  // Two endpoints: numgen picks either.
  'tcp 203.0.113.2:4000 -> 172.30.0.44:80 iif eth0 oif cni0': [
    { verdict: 'accept', by: [dnat('UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4'), MASQ], to: '10.180.0.4:80', from: '10.0.0.1:4000' },
    { verdict: 'accept', by: [dnat('5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5'), MASQ], to: '10.180.0.5:80', from: '10.0.0.1:4000' },
  ],
  'tcp 203.0.113.2:4000 -> 192.168.0.2:3003 iif eth0 oif cni0': { verdict: 'accept', by: [dnat('UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3'), MASQ], to: '10.180.0.3:80', from: '10.0.0.1:4000' },
  'tcp 203.0.113.130:4000 -> 5.6.7.8:80 iif eth0 oif cni0': { verdict: 'drop', by: ['rule #1 of firewall-HVFWP5L3-ns5/svc5/tcp/p80'] },
  // Session affinity: the source in the set or not, the update done or the set full — to the one endpoint each time.
  'tcp 203.0.113.2:4000 -> 5.6.7.8:80 iif eth0 oif cni0': Array.from({ length: 4 }, () => ({ verdict: 'accept' as const, by: [dnat('GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3', 3), MASQ], to: '10.180.0.3:80' })),
  'tcp 203.0.113.2:4000 -> 192.168.99.22:80 iif eth0 oif cni0': { verdict: 'drop', by: ['rule #1 of service-endpoints-check'] },
  'tcp 203.0.113.2:4000 -> 192.168.0.2:3001 iif eth0': { verdict: 'drop', by: ['rule #1 of nodeport-endpoints-check'] },
  'tcp 10.0.0.2:4000 -> 1.2.3.4:80 iif cni0 oif cni0': { verdict: 'accept', by: [dnat('SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2')], to: '10.180.0.2:80' },
  'tcp 10.0.0.2:4000 -> 192.168.0.2:3001 iif cni0 oif cni0': { verdict: 'accept', by: [dnat('SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2')], to: '10.180.0.2:80' },
  'tcp 10.0.0.2:4000 -> 172.30.0.46:80 iif cni0 oif cni0': { verdict: 'reject', by: ['rule #1 of reject-chain'] },
  'tcp 10.0.0.2:4000 -> 172.30.0.41:443 iif cni0 oif cni0': { verdict: 'reject', by: ['Reject traffic to invalid ports of ClusterIPs'] },
  'tcp 10.0.0.2:4000 -> 172.30.0.50:80 iif cni0 oif eth0': { verdict: 'drop', by: ['Drop traffic to unallocated ClusterIPs'] },
  'udp 10.0.0.2:4000 -> 172.30.0.42:80 iif cni0 oif cni0': { verdict: 'reject', by: ['Reject traffic to invalid ports of ClusterIPs'] },
}, KUBE);

// A NixOS Kubernetes node (iptables-nft tables of the NixOS firewall, Tailscale, kubelet, the CNI
// portmap plugin): 192.0.2.10 on eth0 with the default route, pods behind cni0. Tailscale's routes
// live in its own table (52, policy routing), so the main table sends 100.64.0.0/10 out of eth0.
const NIXOS: EngineOptions = { interfaceAddresses: { eth0: ['192.0.2.10/24'], cni0: ['10.42.233.1/24'], tailscale0: ['100.78.40.24/32'] }, routes: ['default dev eth0'] };
const FW_ACCEPT = 'rule #1 of nixos-fw-accept';
const FW_REFUSE = 'rule #1 of nixos-fw-refuse';

outcomes('nixos-tailscale-k8s-iptables-nft', {
  'tcp 198.51.100.7:40000 -> 192.0.2.10:22 iif eth0': { verdict: 'accept', by: [FW_ACCEPT] },
  'tcp 198.51.100.7:40000 -> 192.0.2.10:8080 iif eth0': { verdict: 'drop', by: [FW_REFUSE] },
  // A broadcast to a closed port: refused through the pkttype branch (checked below).
  'udp 192.0.2.77:5000 -> 192.0.2.255:9999 iif eth0 dst-local pkttype broadcast': { verdict: 'drop', by: [FW_REFUSE] },
  'icmp 198.51.100.7 -> 192.0.2.10 type 8 code 0 iif eth0': { verdict: 'accept', by: [FW_ACCEPT] },
  'tcp 100.64.5.5:40000 -> 192.0.2.10:22 iif eth0': { verdict: 'drop', by: ['rule #5 of ts-input'] },
  'tcp 100.115.92.10:40000 -> 192.0.2.10:22 iif eth0': { verdict: 'accept', by: [FW_ACCEPT] },
  'tcp 198.51.100.7:40000 -> 192.0.2.10:25 iif eth0 oif cni0': { verdict: 'accept', by: ['rule #3 of CNI-DN-e39780ea08b399fa3bc03'], to: '10.42.233.49:25' },
  'tcp 127.0.0.1:40000 -> 127.0.0.1:587 oif cni0 local': {
    verdict: 'accept', by: ['rule #6 of CNI-DN-e39780ea08b399fa3bc03', 'rule #1 of CNI-HOSTPORT-MASQ'], to: '10.42.233.49:587', from: '10.42.233.1:40000', mark: 0x2000,
  },
  // Spoofed (10.42.233.0/24 is behind cni0): the reverse-path filter drops it; DHCP's discover passes it, and the firewall refuses it.
  'tcp 10.42.233.77:40000 -> 192.0.2.10:22 iif eth0': { verdict: 'drop', by: ['rule #4 of nixos-fw-rpfilter'] },
  'udp 0.0.0.0:68 -> 255.255.255.255:67 iif eth0 dst-local pkttype broadcast': { verdict: 'drop', by: [FW_REFUSE] },
  // A broadcast frame to an address the node forwards: the routing decision drops it.
  'udp 192.0.2.77:5000 -> 10.42.233.49:9999 iif eth0 oif cni0 pkttype broadcast': { verdict: 'drop', by: [] },
}, NIXOS);

// With Tailscale's routes seen by the lookup (as its policy rule makes them), its own traffic
// passes the reverse-path filter and ts-input accepts it early; a CGNAT source on eth0 then fails it.
outcomes('nixos-tailscale-k8s-iptables-nft', {
  'tcp 100.101.102.103:40000 -> 192.0.2.10:8080 iif tailscale0': { verdict: 'accept', by: ['rule #2 of ts-input'] },
  'tcp 100.64.5.5:40000 -> 192.0.2.10:22 iif eth0': { verdict: 'drop', by: ['rule #4 of nixos-fw-rpfilter'] },
}, { ...NIXOS, routes: ['default dev eth0', '100.64.0.0/10 dev tailscale0'] });

describe.skipIf(!DIR)('nixos-tailscale-k8s-iptables-nft: meta pkttype', () => {
  it('a broadcast frame takes the pkttype branch of nixos-fw-log-refuse, a unicast one the next rule; a forwarded broadcast is dropped at the routing decision', () => {
    const { ruleset } = importNftJson(readFileSync(`${DIR}nixos-tailscale-k8s-iptables-nft.json`, 'utf8'), 'nixos.json');
    const engine = compileRuleset(ruleset, NIXOS);
    const jumped = (packet: string) => {
      const r = engine.evaluate(parsePacket(packet), { trace: true });
      return r.trace!.flatMap((e) => (e.kind === 'verdict' && e.verdict === 'jump' && engine.plan.chains[engine.plan.rules[e.rule]!.chain]!.chain.name === 'nixos-fw-log-refuse' ? [engine.plan.rules[e.rule]!.index + 1] : []));
    };
    expect(jumped('udp 192.0.2.77:5000 -> 192.0.2.255:9999 iif eth0 dst-local pkttype broadcast')).toEqual([1]);
    expect(jumped('udp 192.0.2.77:5000 -> 192.0.2.10:9999 iif eth0')).toEqual([2]);
    const forwarded = engine.evaluate(parsePacket('udp 192.0.2.77:5000 -> 10.42.233.49:9999 iif eth0 oif cni0 pkttype multicast'), { trace: true });
    expect([forwarded.verdict, forwarded.by, forwarded.hooks]).toEqual(['drop', 'route', ['prerouting']]);
    expect(forwarded.trace!.filter((e) => e.kind === 'route')).toEqual([{ kind: 'route', local: false, dropped: true }]);
  });
});
