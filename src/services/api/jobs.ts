// The analyses the what-if service runs (in a worker thread, analysis-worker.ts): a policy's
// findings (as `nftlens analyze -o json`), tenants' isolation (as `nftlens isolation -o json`) and
// the difference of two policies (as `nftlens diff -o json`). A job carries the policies' source
// texts, which the worker loads through the CLI's own path; it returns plain JSON.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXAMPLES_DIR, loadSources } from '../../frontends/load.js';
import type { Source } from '../../frontends/sources.js';
import type { PathHook } from '../../engine/plan.js';

export interface PolicySpec {
  sources: readonly Source[];
  nameRules: boolean;
}

export type Job =
  | ({ kind: 'analyze'; policy: PolicySpec; hooks?: PathHook[]; maxNodes?: number } & Host)
  | ({ kind: 'isolation'; policy: PolicySpec; tenants?: Source } & Host)
  | ({ kind: 'diff'; old: PolicySpec; new: PolicySpec; byRule?: boolean } & Host);

/** The gateway's own addresses and routes, as the request gave them. */
interface Host {
  local?: string[];
  routes?: string[];
}

export async function runJob(job: Job): Promise<unknown> {
  const load = (p: PolicySpec) => loadSources(p.sources, { nameRules: p.nameRules });
  const local = { localAddresses: job.local ?? [], ...(job.routes ? { routes: job.routes } : {}) };
  switch (job.kind) {
    case 'analyze': {
      const [{ findAnomalies }, { findConflicts }, { bySeverity }, { findingsJson, countBySeverity }, { symbolicAnalysis }] = await Promise.all([
        import('../../analyses/anomalies.js'), import('../../analyses/conflicts.js'), import('../../analyses/findings.js'),
        import('../../analyses/report.js'), import('../../analyses/symbolic/index.js'),
      ]);
      const loaded = load(job.policy);
      const a = symbolicAnalysis(loaded.ruleset, { ...local, maxNodes: job.maxNodes });
      const anomalies = findAnomalies(a, { hooks: job.hooks });
      const findings = [...findConflicts(a, loaded.resources), ...anomalies.findings].sort(bySeverity);
      return {
        summary: { files: loaded.files.length, rules: anomalies.rules, notClassified: anomalies.skipped.length, ...countBySeverity(findings) },
        findings: findingsJson(findings),
      };
    }
    case 'isolation': {
      const [{ checkIsolation, parseTenants }, { isolationJson }] = await Promise.all([import('../../analyses/isolation.js'), import('../../analyses/report.js')]);
      const t = job.tenants ?? { file: 'examples/tenants', text: await readFile(join(EXAMPLES_DIR, 'tenants'), 'utf8') };
      const tenants = parseTenants(t.text, t.file);
      return isolationJson(checkIsolation(load(job.policy).ruleset, tenants, local));
    }
    case 'diff': {
      const [{ diffRulesets }, { diffJson }] = await Promise.all([import('../../analyses/diff.js'), import('../../analyses/report.js')]);
      return diffJson(diffRulesets(load(job.old).ruleset, load(job.new).ruleset, { ...local, byRule: job.byRule }));
    }
  }
}
