// Real traffic for the flow readers' kernel tests, in two namespaces the test makes and removes
// (no link to the host): in B, TCP (IPv4 and IPv6) and UDP over loopback between a node client and
// servers listening on loopback only, and a UDP datagram to a closed port; from A to B over a veth
// pair, ICMP and ICMPv6 echo requests crafted by the probe (src/probe/pcap.ts) and sent by
// tcpreplay, which B's kernel answers. B's ruleset turns conntrack on, with accounting, marks the
// UDP connections (ct mark 0x2a) and puts the closed-port one in zone 3. tcpdump captures on
// every interface of B meanwhile. Returns `conntrack -L` (plain and -o extended, IPv4 and IPv6)
// and the capture, and what was sent.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Netns } from '../../src/backends/netns/netns.js';
import { craftFrame, writePcap } from '../../src/probe/pcap.js';

export interface Traffic {
  plain: string;
  extended: string;
  plain6: string;
  pcap: Buffer;
  /** Ports the client and servers used. */
  ports: { tcp4: number; tcp6: number; udp: number; closed: number };
}

const CLIENT = `
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
async function tcp(host) {
  const srv = net.createServer((s) => s.on('data', (d) => s.end(d)));
  srv.listen(0, host);
  await once(srv, 'listening');
  const port = srv.address().port;
  const c = net.connect(port, host);
  await once(c, 'connect');
  c.write('hello');
  await once(c, 'data');
  c.end();
  await once(c, 'close');
  srv.close();
  return port;
}
const tcp4 = await tcp('127.0.0.1');
const tcp6 = await tcp('::1');
const srv = dgram.createSocket('udp4');
srv.on('message', (m, r) => srv.send(m, r.port, r.address));
srv.bind(0, '127.0.0.1');
await once(srv, 'listening');
const udp = srv.address().port;
const c = dgram.createSocket('udp4');
c.send('ping', udp, '127.0.0.1');
await once(c, 'message');
c.send('ping', 9, '127.0.0.1');
await new Promise((r) => setTimeout(r, 200));
c.close();
srv.close();
process.stdout.write(JSON.stringify({ tcp4, tcp6, udp, closed: 9 }));
`;

const RULESET = `table inet flows {
  chain raw { type filter hook output priority -300; policy accept; udp dport 9 ct zone set 3; }
  chain out { type filter hook output priority 0; policy accept; ct state new counter; meta l4proto udp ct mark set 0x2a; }
  chain in { type filter hook input priority 0; policy accept; ct state new counter; }
}
`;

export async function makeTraffic(): Promise<Traffic> {
  const dir = mkdtempSync(join(tmpdir(), 'nftlens-flows-'));
  const a = await Netns.create('fla');
  const b = await Netns.create('flb');
  try {
    await b.nft(['-f', '-'], RULESET);
    await b.run('sysctl', ['-qw', 'net.netfilter.nf_conntrack_acct=1']);
    await a.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name]);
    await a.run('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'va']);
    await a.run('ip', ['-6', 'addr', 'add', 'fd77::1/64', 'dev', 'va', 'nodad']);
    await b.run('ip', ['addr', 'add', '10.77.0.2/24', 'dev', 'vb']);
    await b.run('ip', ['-6', 'addr', 'add', 'fd77::2/64', 'dev', 'vb', 'nodad']);
    await a.run('ip', ['link', 'set', 'va', 'up']);
    await b.run('ip', ['link', 'set', 'vb', 'up']);
    const mac = async (ns: Netns, dev: string) => (JSON.parse(await ns.run('ip', ['-j', 'link', 'show', dev])) as { address: string }[])[0]!.address;
    const [ma, mb] = [await mac(a, 'va'), await mac(b, 'vb')];
    const capFile = join(dir, 'b.pcap');
    const dump = spawn('ip', ['netns', 'exec', b.name, 'tcpdump', '-i', 'any', '--immediate-mode', '-U', '-w', capFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Ready when it says it listens (a fixed delay loses the first packets on a busy machine).
    await new Promise<void>((ready, fail) => {
      let said = '';
      dump.stderr!.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('listening on')) ready();
      });
      dump.once('exit', (code) => fail(new Error(`tcpdump exited ${code}: ${said}`)));
    });
    const script = join(dir, 'client.mjs');
    writeFileSync(script, CLIENT);
    const ports = JSON.parse(await b.run(process.execPath, [script])) as Traffic['ports'];
    const echo = (version: 4 | 6, tag: number) => craftFrame({
      version, saddr: version === 4 ? '10.77.0.1' : 'fd77::1', daddr: version === 4 ? '10.77.0.2' : 'fd77::2',
      l4proto: version === 4 ? 1 : 58, sport: (version === 4 ? 8 : 128) << 8, dport: 0x1234, icmpId: 0x4242, tag, srcMac: ma, dstMac: mb,
    });
    const frames = join(dir, 'echo.pcap');
    writeFileSync(frames, writePcap([echo(4, 1), echo(6, 2)]));
    await a.run('tcpreplay', ['-q', '-i', 'va', frames]);
    // Stopped once the capture file has stopped growing: every packet sent is in it.
    for (let last = -1, size = 0; size !== last; await new Promise((r) => setTimeout(r, 400))) {
      last = size;
      size = statSync(capFile).size;
    }
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
    return {
      plain: await b.run('conntrack', ['-L']),
      extended: await b.run('conntrack', ['-L', '-o', 'extended']),
      plain6: await b.run('conntrack', ['-L', '-f', 'ipv6']),
      pcap: readFileSync(capFile),
      ports,
    };
  } finally {
    await a.dispose();
    await b.dispose();
  }
}
