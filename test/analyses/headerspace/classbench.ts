// ClassBench rule files (the repository's bench/data; traces in the shared corpus) as runs of IR matches, for
// the header-space tests and benchmark: `@src/len dst/len sp_lo : sp_hi dp_lo : dp_hi proto/mask
// flags/mask`, first match wins, flags ignored. Every rule is IPv4 (`meta nfproto ipv4` first).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Match, MatchField, MatchValue } from '../../../src/model/ruleset.js';
import { sharedCorpus } from '../../support/corpus.js';

/** The repository's copies of the rule sets the tests read. */
const RULES = fileURLToPath(new URL('../../../bench/data/', import.meta.url));
/** The shared ClassBench corpus (traces, first-match answers), when there. */
export const CLASSBENCH = sharedCorpus('data/classbench/');

function match(field: MatchField, value: MatchValue, line: number): Match {
  return { kind: 'match', field, op: '==', value, origin: { file: 'classbench', line } };
}

/** The rules of one file, in priority order, each as the list of its matches. */
export function readClassBench(name: string, limit = Infinity): Match[][] {
  const text = readFileSync(RULES + name, 'utf8');
  const rules: Match[][] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (!raw.trim() || rules.length >= limit) continue;
    const f = raw.replace(/^@/, '').split('\t');
    const [src, dst, sp, dp, proto] = f as [string, string, string, string, string];
    const ms: Match[] = [match('meta nfproto', 'ipv4', i + 1)];
    for (const [field, cidr] of [['ip saddr', src], ['ip daddr', dst]] as const) {
      const [addr, len] = cidr.split('/');
      if (Number(len) > 0) ms.push(match(field, { prefix: addr!, len: Number(len) }, i + 1));
    }
    const [pv, pm] = proto.split('/');
    if (Number(pm) !== 0) ms.push(match('meta l4proto', Number(pv), i + 1));
    for (const [field, range] of [['th sport', sp], ['th dport', dp]] as const) {
      const [lo, hi] = range.split(':').map((x) => Number(x.trim())) as [number, number];
      if (lo !== 0 || hi !== 65535) ms.push(match(field, lo === hi ? lo : { range: [lo, hi] }, i + 1));
    }
    rules.push(ms);
  }
  return rules;
}
