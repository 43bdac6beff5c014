// Which flow format a file is, from its first bytes: the pcap and pcapng magic numbers; else the
// first non-blank line of text — `{` a JSON line, a conntrack line (`[ipv4 2 ]PROTO NUMBER …`
// with src=), a CSV header naming src; `<?xml` is conntrack's XML output, named as unread.

import { NftlensError } from '../../model/diagnostics.js';
import { PCAPNG_SHB } from './capture.js';

export const FLOW_FORMATS = ['conntrack', 'pcap', 'pcapng', 'jsonl', 'csv'] as const;
export type FlowFormat = (typeof FLOW_FORMATS)[number];

const PCAP = new Set([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1]);
const CONNTRACK = /^(\[[A-Z]+\]\s+)?((ipv4|ipv6)\s+\d+\s+)?[a-z][a-z0-9-]*\s+\d+\s.*\bsrc=/;

/** The format of a file that begins with `head`; undefined for an empty one (no flows). */
export function sniffFormat(head: Buffer, file: string): FlowFormat | undefined {
  if (head.length >= 4) {
    if (PCAP.has(head.readUInt32LE(0))) return 'pcap';
    if (head.readUInt32LE(0) === PCAPNG_SHB) return 'pcapng';
  }
  if (head.includes(0)) throw NftlensError.of('FLOW_FORMAT', 'not a flow file: binary data (NUL bytes) without a pcap or pcapng magic number', { file });
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
  if (line === undefined) return undefined;
  if (line.startsWith('{')) return 'jsonl';
  if (line.startsWith('<?xml')) throw NftlensError.of('FLOW_FORMAT', 'conntrack -o xml is not read: give the plain or -o extended output of conntrack -L', { file });
  if (CONNTRACK.test(line)) return 'conntrack';
  if (line.includes(',') && line.split(',').some((c) => c.trim().replace(/^"|"$/g, '').toLowerCase() === 'src')) return 'csv';
  throw NftlensError.of('FLOW_FORMAT', `not a flow file: its first line is none of conntrack -L, a JSON line or a CSV header naming src (${JSON.stringify(line.slice(0, 60))})`, { file, line: 1 });
}
