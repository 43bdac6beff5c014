// Deterministic rule naming, the stand-in for Liqo's mutating webhook (`rule.go`
// `generateRuleNames`), which gives every rule whose name is missing or empty `uuid.NewString()`
// before validation. nftlens does the same only when asked (`nameRules: true`), and derives a
// UUIDv5 (SHA-1, RFC 9562 §5.5) from resource namespace/name, chain name and rule position, so the
// same resource always gets the same names. Each naming is an info diagnostic LIQO_UNNAMED.

import { createHash } from 'node:crypto';
import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { chainRules, ruleLabels, WEBHOOK_SKIP_LABEL, type FirewallConfiguration } from './types.js';
import { originOf } from './where.js';

/** RFC 9562's URL namespace; the nftlens namespace is derived from it once. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const NAMESPACE = uuidV5(URL_NAMESPACE, 'https://github.com/liqotech/liqo#FirewallConfiguration.rule.name');

export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The name nftlens gives rule `index` of `list` in chain `chain` of a resource. */
export function ruleName(namespace: string | undefined, name: string, chain: string, list: string, index: number): string {
  return uuidV5(NAMESPACE, [namespace ?? '', name, chain, `${list}[${index}]`].join('\u0000'));
}

/**
 * Names the nameless rules of the lists Liqo reads (the one named by each chain's type), in place.
 * Objects labelled `liqo.io/webhook-skip: "true"` are left alone: Liqo's mutating webhook skips them.
 */
export function nameRules(fc: FirewallConfiguration): Diagnostic[] {
  if (fc.labels[WEBHOOK_SKIP_LABEL] === 'true') return [];
  const out: Diagnostic[] = [];
  for (const chain of fc.table.chains) {
    const rules = chainRules(chain);
    let renamed = false;
    for (const rule of rules) {
      if (rule.name?.value) continue;
      const before = rule.label;
      const how = rule.name ? 'an empty' : 'no';
      const generated = ruleName(fc.namespace, fc.name, chain.name.value, rule.list, rule.index);
      rule.name = { value: generated, loc: rule.name?.loc ?? { ...rule.loc, path: `${rule.loc.path}.name` }, defaulted: true };
      rule.label = generated; // a fresh UUID: unique in its chain
      renamed = true;
      out.push(
        diag(
          'LIQO_UNNAMED',
          'info',
          `rule ${before} has ${how} name; Liqo's mutating webhook would ` +
            `give it a random UUID, nftlens names it ${generated} (derived from resource, chain and position, ` +
            `so it is the same on every run)`,
          originOf(fc, rule.loc, { chain, rule }),
        ),
      );
    }
    if (renamed) ruleLabels(rules);
  }
  return out;
}
