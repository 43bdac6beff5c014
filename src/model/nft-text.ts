// What nft's text language (nft 1.0.6) and the kernel can carry, measured in throwaway namespaces:
// table and chain names are bare words of nft's scanner (`[A-Za-z_.][A-Za-z0-9/_.-]*`, not one of
// its keywords: 1.0.6 takes no quoted name), at most 255 bytes (NFT_NAME_MAXLEN 256 with the NUL);
// a quoted string (comment, interface or device name, log prefix) has no escapes, so it cannot hold
// `"`; control characters are refused too. A comment is at most 128 bytes (nft text; the kernel
// takes more through JSON), an interface name at most 15 (IFNAMSIZ 16 with the NUL), a log prefix 127
// (and without `$`: nft expands variables there).
// Each check returns why a string cannot be carried, or undefined; callers locate the error.

export const NFT_NAME_MAX_BYTES = 255;
export const NFT_COMMENT_MAX_BYTES = 128;
export const IFNAME_MAX_BYTES = 15;
export const NFT_LOG_PREFIX_MAX_BYTES = 127;

/** Words nft 1.0.6 refuses as a table name, chain name or jump target (found by loading each one). */
const NFT_KEYWORDS = new Set(
  ('. accept add ah all and arp auto-merge bridge cgroup chain comment comp constant continue counter cpu create ' +
    'ct daddr day dccp define delete describe device devices dnat drop dst dup dynamic ecn element elements esp ' +
    'eq ether exists expires export exthdr fib flags flow flowtable flush frag frag-off fwd gc-interval ge get goto gt ' +
    'handle hbh hdrlength hook hour ibriport ibrname icmp icmpv6 id igmp iif iifgroup iifname iiftype import ' +
    'include index inet insert interval ip ip6 ipsec jhash jump le limit list log lshift lt map mark masquerade meta meter ' +
    'mh missing monitor ne netdev nftrace not notrack numgen obriport obrname offload offset oif oifgroup oifname ' +
    'oiftype or osf pkttype policy position priority queue quota random redefine redirect reject rename replace ' +
    'reset return rshift rt rt0 rt2 rtclassid rule ruleset sctp secmark set size skgid skuid snat socket srh symhash ' +
    'synproxy table tcp th time timeout tproxy type typeof udp udplite undefine update vlan vmap xor xt').split(' '),
);

const BARE_WORD = /^[A-Za-z_.][A-Za-z0-9/_.-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Why `name` cannot be a table or chain name in nft text, or undefined. */
export function nftNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (bytes(name) > NFT_NAME_MAX_BYTES) return `the name is ${bytes(name)} bytes long; the kernel takes at most ${NFT_NAME_MAX_BYTES}`;
  if (!BARE_WORD.test(name)) {
    return `${JSON.stringify(name)} is not a name nft can read: it must start with a letter, "_" or "." and go on with ` +
      `letters, digits and "/_.-" (nft takes no quoted table or chain name)`;
  }
  if (NFT_KEYWORDS.has(name)) return `"${name}" is a keyword of nft's language and cannot be a table or chain name`;
  return undefined;
}

/** Why `s` cannot be a quoted nft string (of at most `maxBytes` bytes when given), or undefined. */
export function nftStringProblem(s: string, maxBytes?: number): string | undefined {
  if (s.includes('"')) return `${JSON.stringify(s)} contains a double quote, which nft's strings cannot hold (they have no escapes)`;
  if (CONTROL.test(s)) return `${JSON.stringify(s)} contains a control character (such as a newline), which nftlens never writes into nft text`;
  if (maxBytes !== undefined && bytes(s) > maxBytes) return `${JSON.stringify(s)} is ${bytes(s)} bytes long; nft takes at most ${maxBytes}`;
  return undefined;
}

/**
 * Why `s` cannot be an interface-name value (a trailing `*` is a wildcard, `\*` a literal star), or
 * undefined. A lone `*` would match every name: nft refuses it, in text and JSON alike.
 */
export function nftIfnameProblem(s: string): string | undefined {
  if (s === '*') return 'a lone "*" would match every interface name, which nft refuses ("All-wildcard strings are not supported"); leave the match out';
  return nftStringProblem(s, IFNAME_MAX_BYTES);
}

/** Why `s` cannot be a log prefix: a quoted string where nft 1.0.6 also expands `$variables`. */
export function nftLogPrefixProblem(s: string): string | undefined {
  if (s.includes('$')) return `${JSON.stringify(s)} contains "$", which nft reads in a log prefix as a variable`;
  return nftStringProblem(s, NFT_LOG_PREFIX_MAX_BYTES);
}
