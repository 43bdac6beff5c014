// Address text ↔ number conversions on the engine's per-packet paths, memoised: packets repeat
// the same few addresses, and the general parser (src/model/values.ts) is slow per call. IPv4
// words format straight to text (ip4Text).

import { formatAddress, parseAddress, type Address } from '../model/values.js';

const LIMIT = 1 << 16;
const parsed = new Map<string, Address | undefined>();
const formatted = [new Map<bigint, string>(), new Map<bigint, string>()];

export function addressOf(text: string): Address | undefined {
  let a = parsed.get(text);
  if (a === undefined && !parsed.has(text)) {
    if (parsed.size >= LIMIT) parsed.clear();
    a = parseAddress(text);
    parsed.set(text, a);
  }
  return a;
}

export function addressText(value: bigint, version: 4 | 6): string {
  const m = formatted[version === 4 ? 0 : 1]!;
  let t = m.get(value);
  if (t === undefined) {
    if (m.size >= LIMIT) m.clear();
    t = formatAddress(value, version);
    m.set(value, t);
  }
  return t;
}

const OCTETS = Array.from({ length: 256 }, (_, i) => String(i));

/** Dotted-quad text of an IPv4 address word, without a cache or a bigint. */
export function ip4Text(w: number): string {
  return OCTETS[w >>> 24]! + '.' + OCTETS[(w >>> 16) & 255]! + '.' + OCTETS[(w >>> 8) & 255]! + '.' + OCTETS[w & 255]!;
}
