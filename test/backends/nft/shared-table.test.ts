// Kernel test: the nft JSON transaction rendered for two resources naming one table (labels differ,
// so Liqo admits both), loaded into a throwaway namespace, lists back as the one table the model
// holds — the later resource reconciled over the earlier: one table, the changed chain recreated,
// the equal same-named rule kept first, the rest appended. Runs as root (never skipped in CI).
import { describe, expect, it } from 'vitest';
import { withNetns } from '../../../src/backends/netns/netns.js';
import { listRuleset, loadRuleset } from '../../../src/backends/nft/nft.js';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { diffRulesets } from '../../../src/model/canonical.js';
import { kernelReason } from '../../support/kernel.js';
import { doc, SHARED_TABLE_TEXT } from '../../support/liqo-doc.js';

const labels = (tenant: string) => ({ 'networking.liqo.io/firewall-unique': tenant });
const REORDERED =
  doc({ name: 'a', namespace: 'liqo', labels: labels('a'), chains: { 'filt:forward': ['r1:10.0.0.1:accept', 'r2:10.0.0.2:accept'], 'out:output:0': ['o1:10.0.0.8:drop'] } }) +
  doc({ name: 'b', namespace: 'liqo', labels: labels('b'), chains: { 'filt:forward': ['r4:10.0.0.4:drop', 'r2:10.0.0.2:accept'], 'out:output:10': ['o1:10.0.0.8:drop'] } });

const skip = kernelReason;
describe.skipIf(skip)(`one table for two resources, in the kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it.each([['venice and naples', SHARED_TABLE_TEXT], ['kept rule first, recreated chain', REORDERED]])('%s', async (_, text) => {
    const model = parseFirewallConfigurations(text, 'shared.yaml').ruleset;
    const back = await withNetns('shared', async (ns) => {
      await loadRuleset(renderNftJson(model), { netns: ns.name });
      return listRuleset({ netns: ns.name });
    });
    expect(back.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip shared']);
    expect(diffRulesets(model, back)).toEqual([]);
    const listed = back.tables[0]!.chains.map((c) => [c.name, c.base?.priority, c.rules.map((r) => r.comment)]);
    expect(listed).toEqual(text === REORDERED
      ? [['filt', 0, ['r2', 'r4']], ['out', 10, ['o1']]]
      : [['filt', 0, ['block']]]);
  });
});
