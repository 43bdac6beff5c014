// A small pcapng writer for tests (tcpdump on Debian writes pcap): a section header, one interface
// description per interface (link type, snaplen, if_name), then enhanced packet blocks; either
// byte order.
export interface NgInterface {
  linktype: number;
  name?: string;
  snaplen?: number;
}

export function writePcapng(ifaces: NgInterface[], packets: { iface: number; frame: Buffer; simple?: boolean }[], bigEndian = false): Buffer {
  const w32 = (b: Buffer, v: number, o: number) => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  const w16 = (b: Buffer, v: number, o: number) => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  const block = (type: number, body: Buffer) => {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    w32(b, type, 0);
    w32(b, len, 4);
    body.copy(b, 8);
    w32(b, len, len - 4);
    return b;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const shb = Buffer.alloc(16);
  w32(shb, 0x1a2b3c4d, 0);
  w16(shb, 1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const out = [block(0x0a0d0d0a, shb)];
  for (const i of ifaces) {
    const head = Buffer.alloc(8);
    w16(head, i.linktype, 0);
    w32(head, i.snaplen ?? 262144, 4);
    const opts: Buffer[] = [];
    if (i.name) {
      const h = Buffer.alloc(4);
      w16(h, 2, 0);
      w16(h, Buffer.byteLength(i.name), 2);
      opts.push(h, pad(Buffer.from(i.name)), Buffer.alloc(4));
    }
    out.push(block(1, Buffer.concat([head, ...opts])));
  }
  for (const p of packets) {
    if (p.simple) {
      const h = Buffer.alloc(4);
      w32(h, p.frame.length, 0);
      out.push(block(3, pad(Buffer.concat([h, p.frame]))));
      continue;
    }
    const h = Buffer.alloc(20);
    w32(h, p.iface, 0);
    w32(h, p.frame.length, 12);
    w32(h, p.frame.length, 16);
    out.push(block(6, pad(Buffer.concat([h, p.frame]))));
  }
  return Buffer.concat(out);
}
