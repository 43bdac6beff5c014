// `nftlens check`: the main job — everything nftlens can tell about a set of policies in one run:
// validation (with Liqo's quirks as warnings), what is wrong with the rules (shadowed, redundant,
// overlapping, conflicts between resources), whether tenants are isolated, and what nft would
// install. With no `-f` it runs on the embedded examples (examples/, the seed's provider-protection
// scenario, with examples/tenants). A report: it exits 0 unless the input is invalid — `analyze`
// and `isolation` are the commands that gate a pipeline.

import { Command } from 'commander';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { tableId } from '../../model/ruleset.js';
import { formatSummary, summarize } from '../../model/plain.js';
import { loadRuleset } from '../../frontends/load.js';
import { print, withInput, type InputOptions } from '../options.js';
import type { Register } from './index.js';

export const registerCheck: Register = (program, ctx) => {
  const cmd = new Command('check')
    .description('validate, analyse and check isolation of policies, and show what nft would install (default: the embedded examples)')
    .option('--tenants <file>', 'tenants for the isolation check (default with the embedded examples: examples/tenants)');
  withInput(cmd).action(async (opts: InputOptions & { tenants?: string }) => {
    // The analyses and back end load on use, so that other commands (and --help) start without them.
    const [{ renderNftText }, { findAnomalies }, { findConflicts }, { bySeverity }, { checkIsolation }, { formatFindings, formatIsolation }, { symbolicAnalysis }, { readTenants }] = await Promise.all([
      import('../../backends/nft/render-text.js'),
      import('../../analyses/anomalies.js'),
      import('../../analyses/conflicts.js'),
      import('../../analyses/findings.js'),
      import('../../analyses/isolation.js'),
      import('../../analyses/report.js'),
      import('../../analyses/symbolic/index.js'),
      import('./isolation.js'),
    ]);
    const loaded = await loadRuleset(opts.filename ?? [], { nameRules: opts.nameRules, stdin: ctx.stdin });
    const out: string[] = [];
    out.push(`# nftlens check: ${loaded.files.length} file(s), ${formatSummary(summarize(loaded.ruleset))}`);
    for (const r of loaded.resources) {
      const s = summarize({ tables: [r.table] });
      out.push(`  ${r.origin.file}: ${r.namespace ? r.namespace + '/' : ''}${r.name} → table ${tableId(r.table)} (${formatSummary(s)})`);
    }

    const notes = loaded.diagnostics.filter((d) => d.severity !== 'info');
    out.push('', `## validation: valid, ${notes.length} warning(s)`);
    for (const d of notes) out.push('  ' + formatDiagnostic(d));

    const a = symbolicAnalysis(loaded.ruleset);
    const findings = [...findConflicts(a, loaded.resources), ...findAnomalies(a).findings].sort(bySeverity);
    out.push('', formatFindings(findings, '## analysis').trimEnd());

    const tenantsFile = opts.tenants ?? (opts.filename ? undefined : 'examples/tenants');
    if (tenantsFile) {
      const tenants = await readTenants(opts.tenants);
      out.push('', `## isolation (${tenantsFile})`, formatIsolation(checkIsolation(loaded.ruleset, tenants)).trimEnd());
    }

    out.push('', '## what nft would install', renderNftText(loaded.ruleset).trimEnd());
    print(ctx, out.join('\n') + '\n');
  });
  program.addCommand(cmd);
};
