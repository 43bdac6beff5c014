// The probe's throwaway network: a gateway namespace whose interfaces carry the names the ruleset
// expects (`liqo-tunnel`, `eth0`, `liqo.xxxx`…), each a veth whose other end lives in one "outside"
// namespace. The outside namespace is both the source (tcpreplay injects on the far end of the
// packet's input interface) and the sink (tcpdump sees what the gateway sends out of any interface),
// so an interface can be a packet's way in for one packet and its way out for another.
//
// The gateway forwards by policy routing: one table per input interface, holding a host route per
// destination towards the wanted output interface, via a next hop with a permanent neighbour entry —
// so it never sends ARP/NDP and the outside owns no address and answers nothing. Nothing links to
// the host namespace, and dispose() (or process exit, via Netns) removes both namespaces.

import { Netns } from '../backends/netns/netns.js';
import { formatAddress, parseAddress, prefixMask } from '../model/values.js';
import { loadRuleset } from '../backends/nft/nft.js';

export interface TopologySpec {
  /** Gateway interface names, as the ruleset expects them (1–15 bytes, no `/`, `:` or blank). */
  interfaces: readonly string[];
  /** Addresses the packets use (before and after NAT): the gateway's own addresses avoid them. */
  avoid?: readonly string[];
  /** Namespace name prefix (`nftlens-<prefix>gw-…`, `nftlens-<prefix>out-…`). */
  prefix?: string;
}

export interface Port {
  /** The gateway interface name. */
  name: string;
  /** Its far end in the outside namespace (`p0`, `p1`, …) and that end's interface index there. */
  peer: string;
  peerIndex: number;
  gatewayMac: string;
  peerMac: string;
  /** The gateway's own addresses on it (what masquerade picks) and the next hop behind it. */
  v4: { address: string; nexthop: string };
  v6: { address: string; nexthop: string };
  /** Policy routing table for packets that come in on this interface. */
  table: number;
}

export interface Route {
  iif: string;
  oif: string;
  version: 4 | 6;
  daddr: string;
}

/** Candidate /16 (IPv4) and /48 (IPv6) blocks for the gateway's own subnets, one /24 or /64 per port. */
const V4_BLOCKS = ['198.18.0.0', '198.19.0.0', '100.64.0.0', '100.127.0.0', '192.168.0.0', '172.31.0.0'];
const V6_BLOCKS = ['fd6e:666c:7400::', 'fd6e:666c:7401::', '2001:db8:ffff::', 'fd00:ffff:ffff::'];
const TABLE_BASE = 1000;

export class Topology {
  /** The routing tables holding routes, per IP version (only those exist to be flushed). */
  private readonly routed: Record<4 | 6, Set<number>> = { 4: new Set(), 6: new Set() };
  /** The host routes setMainRoutes added. */
  private mainRoutes: { version: 4 | 6; prefix: string; dev: string }[] = [];

  private constructor(
    readonly gateway: Netns,
    readonly outside: Netns,
    readonly ports: ReadonlyMap<string, Port>,
  ) {}

  /** Builds the namespaces; on any failure removes what it made and rethrows. */
  static async create(spec: TopologySpec): Promise<Topology> {
    const names = [...new Set(spec.interfaces)];
    for (const n of names) checkInterfaceName(n);
    if (names.length > 250) throw new Error(`too many interfaces for one probe topology (${names.length})`);
    const v4Block = pickBlock(V4_BLOCKS, 4, 16, spec.avoid ?? []);
    const v6Block = pickBlock(V6_BLOCKS, 6, 48, spec.avoid ?? []);
    const made: Netns[] = [];
    try {
      const gateway = await Netns.create(`${spec.prefix ?? 'probe'}gw`);
      made.push(gateway);
      const outside = await Netns.create(`${spec.prefix ?? 'probe'}out`);
      made.push(outside);
      await configureNamespaces(gateway, outside);
      const ports = new Map<string, Port>();
      for (const [i, name] of names.entries()) {
        ports.set(name, await addPort(gateway, outside, name, i, v4Block, v6Block));
      }
      await finishOutside(outside, ports);
      return new Topology(gateway, outside, ports);
    } catch (e) {
      for (const ns of made.reverse()) await ns.dispose();
      throw e;
    }
  }

  port(name: string): Port {
    const p = this.ports.get(name);
    if (!p) throw new Error(`the probe topology has no interface ${name}`);
    return p;
  }

  /** Replaces every forwarding route with the given ones (one host route per iif and destination). */
  async setRoutes(routes: readonly Route[]): Promise<void> {
    const lines: Record<4 | 6, string[][]> = { 4: [], 6: [] };
    for (const version of [4, 6] as const) {
      for (const table of this.routed[version]) lines[version].push(['route', 'flush', 'table', String(table)]);
      this.routed[version].clear();
    }
    const seen = new Set<string>();
    for (const r of routes) {
      const a = parseAddress(r.daddr);
      if (!a || a.version !== r.version) throw new Error(`bad route destination ${r.daddr}`);
      const inPort = this.port(r.iif);
      const out = this.port(r.oif);
      const key = `${r.iif}|${r.version}|${a.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const dst = formatAddress(a.value, a.version);
      const hop = r.version === 4 ? out.v4.nexthop : out.v6.nexthop;
      this.routed[r.version].add(inPort.table);
      lines[r.version].push(['route', 'replace', `${dst}/${r.version === 4 ? 32 : 128}`, 'via', hop, 'dev', out.name, 'onlink', 'table', String(inPort.table)]);
    }
    await Promise.all([ipBatch(this.gateway, 4, lines[4]), ipBatch(this.gateway, 6, lines[6])]);
  }

  /**
   * Replaces the host routes of the gateway's main table that `fib … oif` lookups find (the
   * reverse path of a packet's source): each `address dev PORT`. Forwarding never uses them: every
   * packet has a host route in its input interface's table, which policy routing consults first.
   */
  async setMainRoutes(routes: readonly { version: 4 | 6; address: string; dev: string }[]): Promise<void> {
    const lines: Record<4 | 6, string[][]> = { 4: [], 6: [] };
    for (const r of this.mainRoutes) lines[r.version].push(['route', 'del', r.prefix, 'dev', r.dev]);
    this.mainRoutes = [];
    for (const r of routes) {
      const a = parseAddress(r.address);
      if (!a || a.version !== r.version) throw new Error(`bad route destination ${r.address}`);
      const prefix = `${formatAddress(a.value, a.version)}/${r.version === 4 ? 32 : 128}`;
      this.port(r.dev);
      lines[r.version].push(['route', 'replace', prefix, 'dev', r.dev]);
      this.mainRoutes.push({ version: r.version, prefix, dev: r.dev });
    }
    await Promise.all([ipBatch(this.gateway, 4, lines[4]), ipBatch(this.gateway, 6, lines[6])]);
  }

  /** Forgets every connection the gateway tracks (between independent runs). */
  async flushConntrack(): Promise<void> {
    await Promise.all(['ipv4', 'ipv6'].map(async (family) => {
      const r = await this.gateway.run('conntrack', ['-F', '-f', family]).catch((e: Error) => e);
      // conntrack -F exits 1 with "0 flow entries" on an empty table on some versions
      if (r instanceof Error && !/flow entries have been deleted/.test(r.message)) throw r;
    }));
  }

  async dispose(): Promise<void> {
    await this.outside.dispose();
    await this.gateway.dispose();
  }
}

/**
 * Why the kernel's dev_valid_name() (net/core/dev.c) refuses a name, or undefined: it must be 1–15
 * bytes, not `.` or `..`, with no `/`, `:` or byte the kernel's isspace() takes for a blank (tab,
 * line feed, vertical tab, form feed, carriage return, space, and 0xA0 — the second byte of `à`
 * in UTF-8). A NUL would end the name early, so it is refused too.
 */
export function interfaceNameProblem(name: string): string | undefined {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0) return 'is empty';
  if (bytes.length > 15) return `is ${bytes.length} bytes long (at most 15)`;
  if (name === '.' || name === '..') return 'is . or ..';
  const bad = bytes.find((b) => b === 0x2f || b === 0x3a || b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0 || b === 0);
  if (bad !== undefined) return `holds the byte 0x${bad.toString(16).padStart(2, '0')} (${BAD_BYTE_NAMES[bad] ?? 'a blank to the kernel'})`;
  return undefined;
}

const BAD_BYTE_NAMES: Record<number, string> = { 0x2f: '/', 0x3a: ':', 0x20: 'space', 0x0a: 'line feed', 0x09: 'tab', 0: 'NUL' };

/** Throws unless the kernel would accept the name for an interface. */
export function checkInterfaceName(name: string): void {
  const why = interfaceNameProblem(name);
  if (why) throw new Error(`${JSON.stringify(name)} cannot be a Linux interface name: it ${why}; the probe cannot build it`);
}

/** The first block (prefix of `len` bits) that holds none of the addresses to avoid. */
function pickBlock(blocks: readonly string[], version: 4 | 6, len: number, avoid: readonly string[]): bigint {
  const bits = version === 4 ? 32 : 128;
  const mask = prefixMask(len, bits);
  const used = avoid.map(parseAddress).filter((a) => a?.version === version).map((a) => a!.value & mask);
  for (const b of blocks) {
    const base = parseAddress(b)!.value;
    if (!used.includes(base)) return base;
  }
  throw new Error(`the packets use every address block the probe could give the gateway (IPv${version})`);
}

async function configureNamespaces(gateway: Netns, outside: Netns): Promise<void> {
  // Set before the interfaces exist, so every new interface inherits the defaults.
  await gateway.run('sysctl', [
    '-q', '-w',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv4.conf.all.send_redirects=0',
    'net.ipv4.conf.default.send_redirects=0',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv6.conf.default.forwarding=1',
    'net.ipv6.conf.default.accept_dad=0',
    'net.ipv6.conf.default.accept_ra=0',
    'net.ipv6.conf.default.router_solicitations=0',
  ]);
  await outside.run('sysctl', [
    '-q', '-w',
    'net.ipv4.ip_forward=0',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
  // The outside only injects and captures (both below netfilter): it drops whatever reaches its IP
  // stack, so it never answers the gateway.
  await loadRuleset({
    nftables: [
      { table: { family: 'inet', name: 'nftlens-outside' } },
      ...['prerouting', 'output'].map((hook) => ({
        chain: { family: 'inet', table: 'nftlens-outside', name: hook, type: 'filter', hook, prio: -400, policy: 'drop' },
      })),
    ],
  }, { netns: outside.name });
}

async function addPort(gateway: Netns, outside: Netns, name: string, i: number, v4Block: bigint, v6Block: bigint): Promise<Port> {
  const peer = `p${i}`;
  const hex = i.toString(16).padStart(2, '0');
  const gatewayMac = `02:6e:66:00:00:${hex}`;
  const peerMac = `02:6e:66:00:01:${hex}`;
  const v4net = v4Block + (BigInt(i) << 8n);
  const v6net = v6Block + (BigInt(i) << 64n);
  const port: Port = {
    name,
    peer,
    peerIndex: 0,
    gatewayMac,
    peerMac,
    v4: { address: formatAddress(v4net + 1n, 4), nexthop: formatAddress(v4net + 2n, 4) },
    v6: { address: formatAddress(v6net + 1n, 6), nexthop: formatAddress(v6net + 2n, 6) },
    table: TABLE_BASE + i,
  };
  await outside.run('ip', ['link', 'add', peer, 'address', peerMac, 'type', 'veth', 'peer', 'name', name, 'address', gatewayMac, 'netns', gateway.name]);
  const table = String(port.table);
  const pref = String(TABLE_BASE + i);
  await ipBatch(gateway, 4, [
    ['link', 'set', 'dev', name, 'up'],
    ['address', 'add', `${port.v4.address}/24`, 'dev', name],
    ['neigh', 'replace', port.v4.nexthop, 'lladdr', peerMac, 'dev', name, 'nud', 'permanent'],
    ['rule', 'add', 'iif', name, 'lookup', table, 'pref', pref],
  ]);
  await ipBatch(gateway, 6, [
    ['address', 'add', `${port.v6.address}/64`, 'dev', name, 'nodad'],
    ['neigh', 'replace', port.v6.nexthop, 'lladdr', peerMac, 'dev', name, 'nud', 'permanent'],
    ['rule', 'add', 'iif', name, 'lookup', table, 'pref', pref],
  ]);
  await outside.run('ip', ['link', 'set', 'dev', peer, 'up']);
  return port;
}

async function finishOutside(outside: Netns, ports: Map<string, Port>): Promise<void> {
  const links = JSON.parse(await outside.run('ip', ['-j', 'link', 'show'])) as { ifname: string; ifindex: number }[];
  for (const p of ports.values()) {
    const l = links.find((x) => x.ifname === p.peer);
    if (!l) throw new Error(`interface ${p.peer} missing in ${outside.name}`);
    p.peerIndex = l.ifindex;
  }
}

/**
 * Runs `ip` commands, given as argument lists. Batch text (`ip -batch -`, one process) is used only
 * when no argument holds what its reader treats specially — blanks split words, `#` starts a
 * comment, a quote opens a quoted word, a backslash continues the line; interface names may hold
 * the last three — otherwise each command runs as its own process with its arguments as given.
 */
async function ipBatch(ns: Netns, family: 4 | 6, commands: readonly string[][]): Promise<void> {
  if (commands.length === 0) return;
  if (commands.every((c) => c.every(batchSafe))) {
    await ns.run('ip', [`-${family}`, '-batch', '-'], commands.map((c) => c.join(' ')).join('\n') + '\n');
    return;
  }
  for (const c of commands) await ns.run('ip', [`-${family}`, ...c]);
}

/** A word the batch reader takes as it is: not empty, no blank, `#`, quote or backslash. */
export function batchSafe(word: string): boolean {
  return word.length > 0 && !/[\s#'"\\]/.test(word);
}
