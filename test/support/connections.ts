// Real connections through a gateway, for the flow evaluation's kernel test: three throwaway
// namespaces (no link to the host) — a client, a gateway that loads the policy with nft, a server —
// joined by veth pairs: client c0 ↔ gateway eth0 (10.1.0.0/24, fd01::/64), gateway eth1 ↔ server
// s0 (10.2.0.0/24, fd02::/64). The server also owns the "virtual" addresses 10.9.0.1 and fd09::1
// (the gateway routes them to it), so a flow to them works with or without DNAT; an SNAT to
// 10.8.0.1 / fd08::1 comes back through the gateway by the server's default route.
//
// run() opens every flow at once: TCP connections and UDP request/reply from a node client bound to
// the flow's source port (the server echoes), ICMP echo requests crafted by the probe
// (src/probe/pcap.ts) and sent by tcpreplay twice (the server's kernel answers). What each step
// did is read from counters in the client and server namespaces, ahead of everything else in
// prerouting: the server saw the first packet (SYN, datagram, echo request), the client saw the
// reply (SYN-ACK, datagram, echo reply), the server saw a following packet (ACK, a second
// datagram or echo request).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns } from '../../src/backends/netns/netns.js';
import { listRuleset, loadRulesetText } from '../../src/backends/nft/nft.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { craftFrame, writePcap } from '../../src/probe/pcap.js';

export const GATEWAY_ENV = { interfaceAddresses: { eth0: ['10.1.0.1', 'fd01::1'], eth1: ['10.2.0.1', 'fd02::1'] } };
export const CLIENT = { 4: '10.1.0.2', 6: 'fd01::2' } as const;
export const SERVER = { 4: '10.2.0.2', 6: 'fd02::2' } as const;
export const VIP = { 4: '10.9.0.1', 6: 'fd09::1' } as const;
export const TCP_PORTS = Array.from({ length: 12 }, (_, i) => 7000 + i);
export const UDP_PORTS = Array.from({ length: 8 }, (_, i) => 7100 + i);

const MAC = { client: '02:6e:66:10:00:02', gw0: '02:6e:66:10:00:01', server: '02:6e:66:10:01:02', gw1: '02:6e:66:10:01:01' };
/** The gateway's own addresses its echo server listens on (flows to input, from output). */
export const GATEWAY = { 4: '10.1.0.1', 6: 'fd01::1' } as const;
export const GATEWAY_OUT = { 4: '10.2.0.1', 6: 'fd02::1' } as const;

export interface LabFlow {
  id: number;
  /** Through the gateway (default), to the gateway (input), or from it (output). */
  path?: 'forward' | 'input' | 'output';
  proto: 'tcp' | 'udp' | 'icmp';
  family: 4 | 6;
  dst: string;
  /** Client source port (unique per flow in a run: the counters tell flows apart by it) or ICMP echo id. */
  sport: number;
  dport: number;
  /** ICMP: the checksum the request carries (what the model reads as its dport). */
  csum?: number;
}

export interface Observed {
  first: boolean;
  reply: boolean;
  next: boolean;
  /** The application's view: TCP echoed data, UDP got a reply, ICMP got an echo reply. */
  app: boolean;
}

const SERVER_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
const [tcp, udp, hosts] = JSON.parse(process.argv[1]);
const waits = [];
for (const p of tcp) {
  const s = net.createServer((c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); });
  s.listen({ port: p, host: '::', ipv6Only: false });
  waits.push(new Promise((r) => s.on('listening', r)));
}
// One socket per address: a reply then leaves from the address the request went to (a socket
// bound to 0.0.0.0 would answer from the address routing picks, a different connection).
for (const p of udp) {
  for (const host of hosts) {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.bind(p, host);
    waits.push(new Promise((r) => s.on('listening', r)));
  }
}
await Promise.all(waits);
process.stdout.write('ready\\n');
`;

const CLIENT_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
const flows = JSON.parse(process.argv[1]);
const out = {};
const tcp = (f) => new Promise((res) => {
  let done = false;
  const s = net.connect({ host: f.dst, port: f.dport, localAddress: f.src, localPort: f.sport });
  const end = (ok) => { if (done) return; done = true; out[f.id] = ok; setTimeout(() => { s.destroy(); res(); }, 200); };
  setTimeout(() => end(false), 2500);
  s.on('connect', () => s.write('hi'));
  s.on('data', () => end(true));
  s.on('error', () => end(false));
});
const udp = (f) => new Promise((res) => {
  let done = false;
  let got = false;
  const s = dgram.createSocket(f.family === 6 ? 'udp6' : 'udp4');
  const end = (ok) => { if (done) return; done = true; out[f.id] = ok; setTimeout(() => { s.close(); res(); }, 300); };
  setTimeout(() => end(got), 2500);
  s.on('message', () => { if (got) return; got = true; s.send('b', f.dport, f.dst, () => end(true)); });
  s.on('error', () => end(false));
  s.bind(f.sport, f.src, () => s.send('a', f.dport, f.dst));
});
await Promise.all(flows.map((f) => (f.proto === 'tcp' ? tcp(f) : udp(f))));
process.stdout.write(JSON.stringify(out));
`;

export class ConnectionLab {
  private readonly servers: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'nftlens-conn-'));
  private constructor(readonly client: Netns, readonly gateway: Netns, readonly serverNs: Netns) {}

  static async create(): Promise<ConnectionLab> {
    const made: Netns[] = [];
    try {
      for (const p of ['connc', 'conngw', 'conns']) made.push(await Netns.create(p));
      const lab = new ConnectionLab(made[0]!, made[1]!, made[2]!);
      await lab.wire();
      await lab.startServer(lab.serverNs, ['10.2.0.2', '10.9.0.1', 'fd02::2', 'fd09::1']);
      await lab.startServer(lab.gateway, [GATEWAY[4], GATEWAY[6], GATEWAY_OUT[4], GATEWAY_OUT[6]]);
      return lab;
    } catch (e) {
      for (const ns of made) await ns.dispose();
      throw e;
    }
  }

  private async wire(): Promise<void> {
    const { client: c, gateway: g, serverNs: s } = this;
    await g.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
    await c.run('ip', ['link', 'add', 'c0', 'address', MAC.client, 'type', 'veth', 'peer', 'name', 'eth0', 'address', MAC.gw0, 'netns', g.name]);
    await s.run('ip', ['link', 'add', 's0', 'address', MAC.server, 'type', 'veth', 'peer', 'name', 'eth1', 'address', MAC.gw1, 'netns', g.name]);
    const cmds: [Netns, string[]][] = [
      [c, ['addr', 'add', '10.1.0.2/24', 'dev', 'c0']], [c, ['-6', 'addr', 'add', 'fd01::2/64', 'dev', 'c0', 'nodad']], [c, ['link', 'set', 'c0', 'up']],
      [c, ['route', 'add', 'default', 'via', '10.1.0.1']], [c, ['-6', 'route', 'add', 'default', 'via', 'fd01::1']],
      [g, ['addr', 'add', '10.1.0.1/24', 'dev', 'eth0']], [g, ['-6', 'addr', 'add', 'fd01::1/64', 'dev', 'eth0', 'nodad']], [g, ['link', 'set', 'eth0', 'up']],
      [g, ['addr', 'add', '10.2.0.1/24', 'dev', 'eth1']], [g, ['-6', 'addr', 'add', 'fd02::1/64', 'dev', 'eth1', 'nodad']], [g, ['link', 'set', 'eth1', 'up']],
      [g, ['route', 'add', '10.9.0.0/24', 'via', '10.2.0.2']], [g, ['-6', 'route', 'add', 'fd09::/64', 'via', 'fd02::2']],
      [s, ['addr', 'add', '10.2.0.2/24', 'dev', 's0']], [s, ['-6', 'addr', 'add', 'fd02::2/64', 'dev', 's0', 'nodad']], [s, ['link', 'set', 's0', 'up']],
      [s, ['addr', 'add', '10.9.0.1/32', 'dev', 'lo']], [s, ['-6', 'addr', 'add', 'fd09::1/128', 'dev', 'lo']],
      [s, ['route', 'add', 'default', 'via', '10.2.0.1']], [s, ['-6', 'route', 'add', 'default', 'via', 'fd02::1']],
      // Neighbours known for good: a policy's input or output chain may drop neighbour discovery.
      [g, ['-6', 'neigh', 'replace', 'fd01::2', 'lladdr', MAC.client, 'dev', 'eth0', 'nud', 'permanent']],
      [g, ['-6', 'neigh', 'replace', 'fd02::2', 'lladdr', MAC.server, 'dev', 'eth1', 'nud', 'permanent']],
      [c, ['-6', 'neigh', 'replace', 'fd01::1', 'lladdr', MAC.gw0, 'dev', 'c0', 'nud', 'permanent']],
      [s, ['-6', 'neigh', 'replace', 'fd02::1', 'lladdr', MAC.gw1, 'dev', 's0', 'nud', 'permanent']],
    ];
    for (const [ns, args] of cmds) await ns.run('ip', args);
  }

  private async startServer(ns: Netns, hosts: string[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '--input-type=module', '-e', SERVER_JS, JSON.stringify([TCP_PORTS, UDP_PORTS, hosts])], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.servers.push(child);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`the echo server exited (${code}): ${err}`)));
    });
  }

  /** Replaces the gateway's ruleset with this nft text; returns what the kernel lists back. */
  async load(text: string): Promise<Ruleset> {
    await this.gateway.nft(['flush', 'ruleset']);
    await loadRulesetText(text, { netns: this.gateway.name });
    await this.gateway.run('conntrack', ['-F']).catch(() => undefined);
    await this.gateway.run('conntrack', ['-F', '-f', 'ipv6']).catch(() => undefined);
    return listRuleset({ netns: this.gateway.name });
  }

  /** Opens every flow at once; what each step did, by flow id. */
  async run(flows: readonly LabFlow[]): Promise<Map<number, Observed>> {
    await this.counters(flows);
    const sockets = flows.filter((f) => f.proto !== 'icmp').map((f) => ({ ...f, src: f.path === 'output' ? GATEWAY_OUT[f.family] : CLIENT[f.family] }));
    const open = (ns: Netns, list: typeof sockets) => (list.length
      ? ns.run(process.execPath, ['--input-type=module', '-e', CLIENT_JS, JSON.stringify(list)]).then((o) => JSON.parse(o) as Record<number, boolean>)
      : Promise.resolve({}));
    const [fromClient, fromGateway, icmp] = await Promise.all([
      open(this.client, sockets.filter((f) => f.path !== 'output')),
      open(this.gateway, sockets.filter((f) => f.path === 'output')),
      this.echo(flows.filter((f) => f.proto === 'icmp')),
    ]);
    const app: Record<number, boolean> = { ...fromClient, ...fromGateway };
    await new Promise((r) => setTimeout(r, 300));
    const [atServer, atClient, atGateway] = await Promise.all([readCounters(this.serverNs), readCounters(this.client), readCounters(this.gateway)]);
    const out = new Map<number, Observed>();
    for (const f of flows) {
      const n = (side: Map<string, number>, key: string) => side.get(`f${f.id}-${key}`) ?? 0;
      const [firstSide, replySide] = f.path === 'input' ? [atGateway, atClient] : f.path === 'output' ? [atServer, atGateway] : [atServer, atClient];
      const atServerSide = firstSide;
      const first = n(firstSide, 'first') > 0;
      const reply = n(replySide, 'reply') > 0;
      const next = reply && (f.proto === 'tcp' ? n(atServerSide, 'next') > 0 : n(atServerSide, 'first') > 1);
      out.set(f.id, { first, reply, next, app: f.proto === 'icmp' ? (icmp.get(f.id) ?? false) && reply : app[f.id] ?? false });
    }
    return out;
  }

  /** Two echo requests per ICMP flow, 400 ms apart (the second after the reply). */
  private async echo(flows: readonly LabFlow[]): Promise<Map<number, boolean>> {
    const done = new Map<number, boolean>();
    if (!flows.length) return done;
    const frames = (round: number) => flows.map((f) => craftFrame({
      version: f.family, saddr: CLIENT[f.family], daddr: f.dst, l4proto: f.family === 4 ? 1 : 58,
      sport: (f.family === 4 ? 8 : 128) << 8, dport: f.csum!, icmpId: f.sport, tag: f.id * 4 + round + 1,
      srcMac: MAC.client, dstMac: MAC.gw0,
    }));
    for (const round of [0, 1]) {
      const file = join(this.dir, `echo${round}.pcap`);
      writeFileSync(file, writePcap(frames(round)));
      await this.client.run('tcpreplay', ['-q', '-i', 'c0', file]);
      await new Promise((r) => setTimeout(r, 600));
    }
    for (const f of flows) done.set(f.id, true);
    return done;
  }

  /** Fresh counter tables in the client and the server for these flows. */
  private async counters(flows: readonly LabFlow[]): Promise<void> {
    const sides = { server: [] as string[], client: [] as string[], gateway: [] as string[] };
    for (const f of flows) {
      const server = f.path === 'input' ? sides.gateway : sides.server;
      const client = f.path === 'output' ? sides.gateway : sides.client;
      const tag = (k: string) => `counter comment "f${f.id}-${k}"`;
      if (f.proto === 'tcp') {
        server.push(`meta l4proto tcp th sport ${f.sport} tcp flags & (syn | ack) == syn ${tag('first')}`);
        server.push(`meta l4proto tcp th sport ${f.sport} tcp flags & (syn | ack | rst) == ack ${tag('next')}`);
        client.push(`meta l4proto tcp th dport ${f.sport} tcp flags & (syn | ack) == syn | ack ${tag('reply')}`);
      } else if (f.proto === 'udp') {
        server.push(`meta l4proto udp th sport ${f.sport} ${tag('first')}`);
        client.push(`meta l4proto udp th dport ${f.sport} ${tag('reply')}`);
      } else {
        const k = f.family === 4 ? 'icmp' : 'icmpv6';
        server.push(`${k} type echo-request ${k} id ${f.sport} ${tag('first')}`);
        client.push(`${k} type echo-reply ${k} id ${f.sport} ${tag('reply')}`);
      }
    }
    // In the gateway, after every chain of the policy at input: what reached its sockets.
    const table = (rules: string[], hook: string, prio: number) => `table inet obs {\n  chain obs {\n    type filter hook ${hook} priority ${prio}; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`;
    for (const [ns, rules] of [[this.serverNs, sides.server], [this.client, sides.client]] as const) {
      await ns.nft(['flush', 'ruleset']);
      await loadRulesetText(table(rules, 'prerouting', -500), { netns: ns.name });
    }
    await loadRulesetText(table(sides.gateway, 'input', 1000), { netns: this.gateway.name });
  }

  async dispose(): Promise<void> {
    for (const child of this.servers) child.kill();
    for (const ns of [this.client, this.gateway, this.serverNs]) await ns.dispose();
  }
}

async function readCounters(ns: Netns): Promise<Map<string, number>> {
  const doc = JSON.parse(await ns.nft(['-j', 'list', 'table', 'inet', 'obs'])) as { nftables: { rule?: { comment?: string; expr: Record<string, { packets?: number }>[] } }[] };
  const out = new Map<string, number>();
  for (const item of doc.nftables) {
    const r = item.rule;
    if (!r?.comment) continue;
    const c = r.expr.find((e) => 'counter' in e)?.counter;
    out.set(r.comment, c?.packets ?? 0);
  }
  return out;
}
