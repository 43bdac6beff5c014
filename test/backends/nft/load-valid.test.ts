// "Valid means nft accepts it": every valid Liqo fixture and every example, each table on its own,
// is loaded into a fresh namespace both as nft JSON (`nft -j -f`) and as nft text (`nft -f`).
// Whatever nftlens validates, the kernel and nft 1.0.6 must take in both forms. Runs as root.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withNetns } from '../../../src/backends/netns/netns.js';
import { listRuleset, loadRuleset, loadRulesetText } from '../../../src/backends/nft/nft.js';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { renderNftText } from '../../../src/backends/nft/render-text.js';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { kernelReason } from '../../support/kernel.js';

const VALID = fileURLToPath(new URL('../../../../shared/fixtures/liqo/valid/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

const skip = kernelReason;
describe.skipIf(skip)(`valid resources load with nft, as JSON and as text${skip ? ` (skipped: ${skip})` : ''}`, () => {
  for (const path of [...yamlFiles(VALID), ...yamlFiles(EXAMPLES)]) {
    it(path.slice(path.lastIndexOf('/', path.lastIndexOf('/') - 1) + 1), async () => {
      const { ruleset } = parseFirewallConfigurations(readFileSync(path, 'utf8'), path);
      expect(ruleset.tables.length).toBeGreaterThan(0);
      for (const table of ruleset.tables) {
        const one = { tables: [table] };
        const [json, text] = await Promise.all([
          withNetns('valid-json', async (ns) => {
            await loadRuleset(renderNftJson(one), { netns: ns.name });
            return listRuleset({ netns: ns.name });
          }),
          withNetns('valid-text', async (ns) => {
            await loadRulesetText(renderNftText(one), { netns: ns.name });
            return listRuleset({ netns: ns.name });
          }),
        ]);
        const names = (rs: typeof json) => rs.tables.map((t) => [t.family, t.name, t.chains.map((c) => [c.name, c.rules.length])]);
        const want = [[table.family, table.name, table.chains.map((c) => [c.name, c.rules.length])]];
        expect(names(json)).toEqual(want);
        expect(names(text)).toEqual(want);
      }
    }, 60_000);
  }
});
