// `nftlens check`: the main job — everything nftlens can tell about a set of policies in one run:
// validation (with Liqo's quirks as warnings) and what the gateway would install. With no `-f`
// it runs on the embedded example policies (examples/, the seed's provider-protection scenario).

import { Command } from 'commander';
import { renderNftText } from '../../backends/nft/render-text.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { tableId } from '../../model/ruleset.js';
import { formatSummary, summarize } from '../../model/plain.js';
import { loadRuleset } from '../../frontends/load.js';
import { withInput, type InputOptions } from '../options.js';
import type { Register } from './index.js';

export const registerCheck: Register = (program, ctx) => {
  const cmd = new Command('check').description('validate policies and show what the gateway would install (default: the embedded examples)');
  withInput(cmd).action(async (opts: InputOptions) => {
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
    out.push('', '## what nft would install', renderNftText(loaded.ruleset).trimEnd());
    ctx.stdout.write(out.join('\n') + '\n');
  });
  program.addCommand(cmd);
};
