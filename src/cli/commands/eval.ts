// `nftlens eval`: what the ruleset does to given packets — verdict, the rule (or policy) that
// decided, the packet after NAT, and with --trace every hook, chain, rule and statement on the way.
// Packets come from -p (repeatable, text form) or --packets FILE (one per line, text or JSON).

import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { NftlensError } from '../../model/diagnostics.js';
import { compileRuleset, formatPacket, formatResult, parsePacket, parsePacketLine, type EvalResult, type Packet, type PathHook } from '../../engine/index.js';
import { chainLabel, ruleLabel } from '../../engine/result.js';
import type { Plan } from '../../engine/plan.js';
import { loadInput, printDiagnostics, withInput, withOutput, writeData, type InputOptions } from '../options.js';
import type { CliContext, OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface EvalOpts extends InputOptions {
  packet?: string[];
  packets?: string;
  output: OutputFormat;
  trace?: boolean;
  hook?: PathHook;
  local?: string[];
  ifAddr?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export const registerEval: Register = (program, ctx) => {
  const cmd = new Command('eval')
    .description('evaluate packets against the ruleset as the kernel would: verdict, deciding rule, NAT, trace')
    .option('-p, --packet <packet>', "a packet, e.g. 'tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1'; repeatable", collect)
    .option('--packets <file>', 'packets, one per line (text form or JSON), - for stdin')
    .option('--trace', 'show hooks, chains, rules and statements on the way')
    .addOption(new Option('--hook <hook>', 'evaluate one hook alone').choices(['prerouting', 'input', 'forward', 'output', 'postrouting']))
    .option('--local <address>', 'an address of this host (routing: packets to it go to input); repeatable', collect)
    .option('--if-addr <name=address>', 'an address of an interface (masquerade uses it); repeatable', collect);
  withOutput(withInput(cmd), ['text', 'json'], 'text').action(async (opts: EvalOpts) => {
    const packets = await readPackets(opts, ctx);
    const loaded = await loadInput(opts, ctx);
    const interfaceAddresses: Record<string, string[]> = {};
    for (const spec of opts.ifAddr ?? []) {
      const [name, addr] = spec.split('=');
      if (!name || !addr) throw NftlensError.of('INPUT_PARSE', `--if-addr "${spec}": expected NAME=ADDRESS`, {});
      (interfaceAddresses[name] ??= []).push(addr);
    }
    const classifier = compileRuleset(loaded.ruleset, { localAddresses: opts.local ?? [], interfaceAddresses });
    printDiagnostics(classifier.diagnostics, ctx);
    const results = packets.map((p) => classifier.evaluate(p, { trace: opts.trace, hook: opts.hook }));
    writeData(ctx, opts.output, results.map((r, i) => toJson(classifier.plan, packets[i]!, r)), () =>
      results.map((r, i) => `packet: ${formatPacket(packets[i]!)}\n${formatResult(classifier.plan, r)}`).join('\n'));
  });
  program.addCommand(cmd);
};

async function readPackets(opts: EvalOpts, ctx: CliContext): Promise<Packet[]> {
  const out = (opts.packet ?? []).map((t, i) => parsePacket(t, { field: `--packet[${i}]` }));
  if (opts.packets !== undefined) {
    const file = opts.packets;
    let text: string;
    try {
      text = file === '-' ? await readStream(ctx) : await readFile(file, 'utf8');
    } catch (e) {
      throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
    }
    text.split('\n').forEach((line, i) => {
      if (line.trim() && !line.trim().startsWith('#')) out.push(parsePacketLine(line, { file, line: i + 1 }));
    });
  }
  if (!out.length) throw NftlensError.of('INPUT_PARSE', 'no packets: give -p PACKET or --packets FILE', {});
  return out;
}

async function readStream(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function toJson(plan: Plan, packet: Packet, r: EvalResult) {
  const rule = r.rule === undefined ? undefined : { id: r.rule, label: ruleLabel(plan, r.rule), origin: plan.rules[r.rule]!.rule.origin };
  const chain = r.chain === undefined ? undefined : { id: r.chain, label: chainLabel(plan, r.chain), origin: plan.chains[r.chain]!.chain.origin };
  return { packet, verdict: r.verdict, by: r.by, rule, chain, hooks: r.hooks, after: r.packet, trace: r.trace };
}
