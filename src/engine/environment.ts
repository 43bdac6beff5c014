// What the engine needs to know about the host besides its ruleset: its own addresses (the
// routing decision: a packet to one of them goes to input, any other is forwarded) and the
// addresses of its interfaces (masquerade takes the first one of the packet's family on the
// output interface; with none, the kernel drops the packet). Interface addresses are the host's
// own addresses too.

import { NftlensError } from '../model/diagnostics.js';
import { parseAddress } from '../model/values.js';

export interface EngineOptions {
  /** Addresses of this host; a packet to one of them is delivered locally (input). */
  localAddresses?: string[];
  /** Addresses of each interface, first one first (masquerade uses it). */
  interfaceAddresses?: Record<string, string[]>;
}

export interface Environment {
  local: Record<4 | 6, Set<bigint>>;
  masq: Map<string, { 4?: bigint; 6?: bigint }>;
}

export function makeEnvironment(opts: EngineOptions = {}): Environment {
  const env: Environment = { local: { 4: new Set(), 6: new Set() }, masq: new Map() };
  const parse = (text: string, what: string) => {
    const a = parseAddress(text);
    if (!a) throw NftlensError.of('INPUT_PARSE', `${what}: "${text}" is not an IP address`, {});
    return a;
  };
  for (const text of opts.localAddresses ?? []) {
    const a = parse(text, 'local address');
    env.local[a.version].add(a.value);
  }
  for (const [name, list] of Object.entries(opts.interfaceAddresses ?? {})) {
    const entry: { 4?: bigint; 6?: bigint } = {};
    for (const text of list) {
      const a = parse(text, `address of interface ${name}`);
      entry[a.version] ??= a.value;
      env.local[a.version].add(a.value);
    }
    env.masq.set(name, entry);
  }
  return env;
}
