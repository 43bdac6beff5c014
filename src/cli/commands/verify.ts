// `nftlens verify -f POLICY [--netns NAME]`: read the owned tables back from the kernel and compare
// them with the policies, structurally and exactly (each behaviour difference with a witness
// packet). Exit 0 in sync, 1 drift or difference, 2 bad input, 3 environment (nft missing/old).

import { Command, InvalidArgumentError } from 'commander';
import { loadInput, print } from '../options.js';
import { ExitCode } from '../context.js';
import { withGateway, type GatewayCliOptions } from './apply.js';
import type { Register } from './index.js';
import type { ShadowCliOptions } from '../../backends/gateway/shadow.js';

export const registerVerify: Register = (program, ctx) => {
  const cmd = withGateway(new Command('verify').description('check that the kernel holds the policies exactly: structure and behaviour (exit 1 on drift)'))
    .option('--probe', "also send packets through a copy of the owned tables in a throwaway namespace and judge the kernel's answers against the policies (root; the live gateway sees no packet)")
    .option('--random <n>', 'random packets per policy for --probe (default 200)', (v: string) => {
      if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError('expected a count of packets');
      return Number(v);
    });
  cmd.action(async (opts: GatewayCliOptions & ShadowCliOptions) => {
    const [{ defaultHost, formatVerify, intentFrom, startNftCheck, statusRecords, verify, verifyJson }, { formatShadow, shadowCheck, shadowJson }] = await Promise.all([
      import('../../backends/gateway/index.js'),
      import('../../backends/gateway/shadow.js'),
    ]);
    const nftChecked = startNftCheck({ netns: opts.netns }); // nft runs while the input parses
    const intent = intentFrom(await loadInput(opts, ctx));
    const result = await verify(intent, { netns: opts.netns, owner: opts.owner, nftChecked });
    const status = statusRecords(intent, { verify: result }, defaultHost(opts.netns));
    const shadow = opts.probe ? await shadowCheck(intent, opts) : undefined;
    if (opts.output === 'json') print(ctx, JSON.stringify({ ...(verifyJson(result) as object), status, ...(shadow ? shadowJson(shadow) : {}) }, null, 2) + '\n');
    else print(ctx, formatVerify(result) + (shadow ? formatShadow(shadow) : ''));
    if (!result.inSync || (shadow && !shadow.ok)) throw new ExitCode(1);
  });
  program.addCommand(cmd);
};
