// The value strings of a FirewallConfiguration (IPs, subnets, ranges, ports, marks) read exactly
// as Liqo's Go code reads them: net.ParseIP / net.ParseCIDR, fwutils.GetIPValueType (subnet, then
// IP, then `a-b` range), port.ParsePortRange (two ParseUint(…, 10, 16)) and strconv.Atoi (sign,
// decimal, 64-bit, no bounds). Each parser returns undefined where Go returns an error.

import { formatAddress, parseAddress, type Address } from '../../model/values.js';

/** An address as Go's net.ParseIP reads it (dotted quad without leading zeros, or IPv6, no zone). */
export function goParseIP(text: string): Address | undefined {
  const dot = text.lastIndexOf(':');
  if (dot >= 0 && text.slice(dot + 1).includes('.')) {
    // IPv6 with an embedded dotted quad: the quad must itself be a strict IPv4 address.
    const v4 = parseAddress(text.slice(dot + 1));
    if (!v4 || v4.version !== 4) return undefined;
    const hi = Number(v4.value >> 16n).toString(16);
    const lo = Number(v4.value & 0xffffn).toString(16);
    return parseAddress(`${text.slice(0, dot + 1)}${hi}:${lo}`);
  }
  return parseAddress(text);
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** What Go's `ip.To4()` gives: the IPv4 value of an IPv4 or IPv4-mapped IPv6 address. */
export function to4(a: Address): bigint | undefined {
  if (a.version === 4) return a.value;
  return a.value >> 32n === 0xffffn ? a.value & 0xffffffffn : undefined;
}

/** An address with IPv4-mapped IPv6 addresses turned into IPv4, as Go treats them. */
export function unmap(a: Address): Address {
  return a.version === 6 && (a.value >> 32n) << 32n === MAPPED_PREFIX ? { version: 4, value: a.value & 0xffffffffn } : a;
}

/** Go's 16-byte form of an address (IPv4 as ::ffff:a.b.c.d), as a number for bytes.Compare. */
export function as16(a: Address): bigint {
  return a.version === 4 ? MAPPED_PREFIX | a.value : a.value;
}

export interface Cidr {
  addr: Address;
  len: number;
  /** Address bits of the family: 32, or 128 for IPv6 (IPv4-mapped included, as in netip). */
  bits: number;
}

/** net.ParseCIDR: `addr/len`, len decimal digits within the address's bit length. */
export function goParseCIDR(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const addr = goParseIP(addrText);
  if (!addr || !/^[0-9]+$/.test(lenText) || lenText.length > 8) return undefined;
  const bits = addr.version === 4 ? 32 : 128;
  const len = Number(lenText);
  return len <= bits ? { addr, len, bits } : undefined;
}

export type IPValue =
  | { type: 'subnet'; cidr: Cidr }
  | { type: 'ip'; addr: Address }
  | { type: 'range'; start: Address; end: Address };

/** Parsed IP values, shared by validation, quirks and conversion (bounded: cleared when full). */
const ipValues = new Map<string, IPValue | undefined>();

/** fwutils.GetIPValueType + GetIPValueRange: subnet first, then a single IP, then `a-b`. */
export function liqoIPValue(text: string): IPValue | undefined {
  if (ipValues.has(text)) return ipValues.get(text);
  if (ipValues.size >= 4096) ipValues.clear();
  const v = parseIPValue(text);
  ipValues.set(text, v);
  return v;
}

function parseIPValue(text: string): IPValue | undefined {
  const cidr = goParseCIDR(text);
  if (cidr) return { type: 'subnet', cidr };
  const addr = goParseIP(text);
  if (addr) return { type: 'ip', addr };
  const parts = text.split('-');
  if (parts.length !== 2) return undefined;
  const start = goParseIP(parts[0]!.trim());
  const end = goParseIP(parts[1]!.trim());
  return start && end ? { type: 'range', start, end } : undefined;
}

const INT64_MAX = (1n << 63n) - 1n;

/** strconv.Atoi on 64-bit Go: optional sign, decimal digits, within int64. */
export function goAtoi(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? undefined : n;
}

/** strconv.ParseUint(text, 10, 16). */
function parseUint16(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= 65535n ? Number(n) : undefined;
}

export type PortValue =
  | { type: 'range'; start: number; end: number }
  /** `raw` as Atoi read it; `port` is what Liqo installs: `uint16(raw)`. */
  | { type: 'port'; raw: bigint; port: number };

/** fwutils.GetPortValueType: port.ParsePortRange first (no start ≤ end check), then Atoi. */
export function liqoPortValue(text: string): PortValue | undefined {
  const parts = text.split('-');
  if (parts.length === 2) {
    const start = parseUint16(parts[0]!);
    const end = parseUint16(parts[1]!);
    if (start !== undefined && end !== undefined) return { type: 'range', start, end };
  }
  const raw = goAtoi(text);
  return raw === undefined ? undefined : { type: 'port', raw, port: Number(BigInt.asUintN(16, raw)) };
}

/** Address text for the IR: dotted quad or canonical (RFC 5952) IPv6. */
export function addressText(a: Address): string {
  return formatAddress(a.value, a.version);
}
