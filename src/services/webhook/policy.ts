// The webhook's configuration file: what each analysis finding does to an admission (deny, warn
// or off), the time budget of the analyses and what running over it does, and the tenants the
// isolation check holds the gateway to. Unknown keys and values are located errors (WEBHOOK_CONFIG).
//
//   budgetMs: 2000            # the analyses' share of the API server's timeout
//   overBudget: deny          # deny | warn
//   checks:                   # per finding kind (src/analyses/findings.ts) and `isolation`
//     shadowed: deny
//     tenant-overlap: deny
//     redundant: warn
//   tenants:                  # as `nftlens isolation --tenants` reads them
//     venice: { sources: [10.112.0.0/16], destinations: [10.42.1.15] }
import { parse } from 'yaml';
import { SEVERITY_OF, type FindingKind } from '../../analyses/findings.js';
import { parseTenants, type Tenant } from '../../analyses/isolation.js';
import { NftlensError } from '../../model/diagnostics.js';

export type Decision = 'deny' | 'warn' | 'off';
export type CheckName = FindingKind | 'isolation';

export interface WebhookPolicy {
  checks: Record<CheckName, Decision>;
  budgetMs: number;
  overBudget: 'deny' | 'warn';
  tenants: Tenant[];
  /** The tenants as written, to hand to the analysis worker. */
  tenantsText?: string;
}

const DECISIONS: readonly Decision[] = ['deny', 'warn', 'off'];

/** Errors deny, warnings warn, infos are off; an isolation breach denies. */
export function defaultPolicy(): WebhookPolicy {
  const checks = Object.fromEntries(
    Object.entries(SEVERITY_OF).map(([k, s]) => [k, s === 'error' ? 'deny' : s === 'warning' ? 'warn' : 'off']),
  ) as Record<CheckName, Decision>;
  checks.isolation = 'deny';
  return { checks, budgetMs: 2000, overBudget: 'deny', tenants: [] };
}

export function parsePolicy(text: string, file: string): WebhookPolicy {
  const bad = (message: string, field?: string) => NftlensError.of('WEBHOOK_CONFIG', message, { file, ...(field ? { field } : {}) });
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (e) {
    throw NftlensError.of('INPUT_PARSE', `webhook configuration: ${(e as Error).message}`, { file });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the webhook configuration must be a mapping');
  const policy = defaultPolicy();
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key === 'budgetMs') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 10 || value > 30_000) throw bad('budgetMs must be an integer from 10 to 30000', key);
      policy.budgetMs = value;
    } else if (key === 'overBudget') {
      if (value !== 'deny' && value !== 'warn') throw bad('overBudget must be deny or warn', key);
      policy.overBudget = value;
    } else if (key === 'checks') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('checks must map check names to deny, warn or off', key);
      for (const [check, decision] of Object.entries(value)) {
        if (!(check in policy.checks)) throw bad(`unknown check ${JSON.stringify(check)}; known: ${Object.keys(policy.checks).join(', ')}`, `checks.${check}`);
        if (!DECISIONS.includes(decision as Decision)) throw bad(`a check is deny, warn or off, not ${JSON.stringify(decision)}`, `checks.${check}`);
        policy.checks[check as CheckName] = decision as Decision;
      }
    } else if (key === 'tenants') {
      policy.tenantsText = JSON.stringify({ tenants: value });
      policy.tenants = parseTenants(policy.tenantsText, file);
    } else throw bad(`unknown key ${JSON.stringify(key)}; known: budgetMs, overBudget, checks, tenants`, key);
  }
  return policy;
}
