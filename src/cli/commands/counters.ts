// `nftlens counters`: the kernel's per-rule packet and byte counters of the owned tables of the
// policies, each named by its resource, table, chain and rule. Reads only the owned tables.
// Exit 1 when a table of the policies is not on the gateway (its counters cannot be given).

import { Command } from 'commander';
import type { RuleCounter } from '../../backends/gateway/counters.js';
import { tableId } from '../../model/ruleset.js';
import { ExitCode } from '../context.js';
import { loadInput, writeData } from '../options.js';
import { terminalSafe } from '../../model/terminal.js';
import { withGateway, type GatewayCliOptions } from './apply.js';
import type { Register } from './index.js';

export const registerCounters: Register = (program, ctx) => {
  const cmd = withGateway(new Command('counters')
    .description("the kernel's per-rule counters of the policies' tables on the gateway, by resource, chain and rule (root)"));
  cmd.action(async (opts: GatewayCliOptions) => {
    const [{ intentFrom, locateRule, OWNER_CHAIN, OWNER_DEFAULT, readOwned, startNftCheck }, { countersJson, formatCounters, ruleCounters }] = await Promise.all([
      import('../../backends/gateway/index.js'),
      import('../../backends/gateway/counters.js'),
    ]);
    const run = { netns: opts.netns };
    const nftChecked = startNftCheck(run); // nft runs while the input parses
    const intent = intentFrom(await loadInput(opts, ctx));
    await nftChecked;
    const ids = intent.ruleset.tables.map(tableId);
    const state = await readOwned(ids, { ...run, owner: opts.owner ?? OWNER_DEFAULT, listOnly: true });
    const list: RuleCounter[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const t = state.owned.get(id);
      if (!t) {
        missing.push(id);
        continue;
      }
      const rows = ruleCounters(t.raw, (table, chain, index, comment) => locateRule(intent, table, chain, index, comment), new Set([OWNER_CHAIN]));
      const resource = intent.tableResource.get(id)?.name;
      if (resource !== undefined) for (const r of rows) r.resource = resource;
      list.push(...rows);
    }
    writeData(ctx, opts.output, { counters: countersJson(list), missing }, () => formatCounters(list));
    for (const id of missing) ctx.stderr.write(terminalSafe(`nftlens: table ${id} is not on the gateway as an nftlens-owned table; no counters for it\n`));
    if (missing.length) throw new ExitCode(1);
  });
  program.addCommand(cmd);
};
