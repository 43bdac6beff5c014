// The nft text of stateful expressions' sources (model/ruleset.ts StateSource): what the text
// renderer writes and what the engine says a draw took (src/engine/state.ts describeWay).

import type { CtCountSource, LimitSource, NumberSource, QuotaSource } from './ruleset.js';

/** `numgen inc mod 2`, `numgen random mod 4 offset 1`, `jhash ip saddr . tcp dport mod 2 seed 0xdeadbeef`, `symhash mod 2`. */
export function numberText(n: NumberSource): string {
  const offset = n.offset ? ` offset ${n.offset}` : '';
  if (n.what === 'numgen') return `numgen ${n.mode} mod ${n.mod}${offset}`;
  if (n.what === 'symhash') return `symhash mod ${n.mod}${offset}`;
  return `jhash ${n.key.join(' . ')} mod ${n.mod}${n.seed !== undefined ? ` seed 0x${n.seed.toString(16)}` : ''}${offset}`;
}

/**
 * `limit rate [over] 10/second [burst 5 packets]`, `limit rate 1 mbytes/second [burst 1000 kbytes]`
 * (a burst nft takes only above 0), `quota [over] 25 mbytes [used 10 kbytes]`, `ct count [over] 3`.
 */
export function statefulText(x: LimitSource | QuotaSource | CtCountSource, over: boolean): string {
  const ov = over ? 'over ' : '';
  switch (x.what) {
    case 'limit': {
      const rate = x.rateUnit === 'packets' ? `${x.rate}/${x.per}` : `${x.rate} ${x.rateUnit}/${x.per}`;
      const burst = x.burst ? ` burst ${x.burst} ${x.burstUnit ?? (x.rateUnit === 'packets' ? 'packets' : 'bytes')}` : '';
      return `limit rate ${ov}${rate}${burst}`;
    }
    case 'quota':
      return `quota ${ov}${x.val} ${x.valUnit}${x.used !== undefined ? ` used ${x.used} ${x.usedUnit ?? 'bytes'}` : ''}`;
    case 'ct count':
      return `ct count ${ov}${x.count}`;
  }
}
