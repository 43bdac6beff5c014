// `nftlens eval`: what the ruleset does to given packets — verdict, the rule (or policy) that
// decided, the packet after NAT, and with --trace every hook, chain, rule and statement on the way.
// Packets come from -p (repeatable, text form) or --packets FILE (one per line, text or JSON),
// read, classified and written a chunk at a time (../eval-stream.ts): millions in constant memory,
// on every core.

import { Command, InvalidArgumentError, Option } from 'commander';
import { NftlensError } from '../../model/diagnostics.js';
import type { PathHook } from '../../engine/index.js';
import { HOOK_CHOICES, collect, loadInput, printDiagnostics, withInput, withLocal, withOutput, type InputOptions } from '../options.js';
import type { OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface EvalOpts extends InputOptions {
  packet?: string[];
  packets?: string;
  output: OutputFormat;
  trace?: boolean;
  hook?: PathHook;
  local?: string[];
  ifAddr?: string[];
  workers?: number;
}

export const registerEval: Register = (program, ctx) => {
  const cmd = new Command('eval')
    .description('evaluate packets against the ruleset as the kernel would: verdict, deciding rule, NAT, trace')
    .option('-p, --packet <packet>', "a packet, e.g. 'tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1'; repeatable", collect)
    .option('--packets <file>', 'packets, one per line (text form or JSON), - for stdin; streamed, -o json as one JSON array')
    .option('--trace', 'show hooks, chains, rules and statements on the way')
    .addOption(new Option('--hook <hook>', 'evaluate one hook alone').choices(HOOK_CHOICES))
    .option('--if-addr <name=address>', 'an address of an interface (masquerade uses it); repeatable', collect)
    .option('--workers <n>', 'threads for a big --packets file (default, -o text and json alike: one per core from 4 cores on, else 1, the pool measured slower on 2 cores; 1: this thread only)', workerCount);
  withOutput(withLocal(withInput(cmd)), ['text', 'json'], 'text').action(async (opts: EvalOpts) => {
    // The engine (and its WebAssembly) loads on use, so that other commands (and --help) start without it.
    const [{ compileRuleset, parsePacket }, { evaluateStream, openPackets }] = await Promise.all([import('../../engine/index.js'), import('../eval-stream.js')]);
    const given = (opts.packet ?? []).map((t, i) => parsePacket(t, { field: `--packet[${i}]` }));
    const file = opts.packets === undefined ? undefined : await openPackets(opts.packets, ctx.stdin);
    if (!given.length && !file) throw noPackets();
    const loaded = await loadInput(opts, ctx);
    const interfaceAddresses: Record<string, string[]> = {};
    for (const spec of opts.ifAddr ?? []) {
      const [name, addr] = spec.split('=');
      if (!name || !addr) throw NftlensError.of('INPUT_PARSE', `--if-addr "${spec}": expected NAME=ADDRESS`, {});
      (interfaceAddresses[name] ??= []).push(addr);
    }
    const classifier = compileRuleset(loaded.ruleset, { localAddresses: opts.local ?? [], interfaceAddresses });
    printDiagnostics(classifier.diagnostics, ctx);
    const { packets } = await evaluateStream(classifier, given, file, { format: opts.output, trace: opts.trace, hook: opts.hook, workers: opts.workers }, ctx);
    if (packets === 0) throw noPackets();
  });
  program.addCommand(cmd);
};

function workerCount(v: string): number {
  if (!/^\d{1,2}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a number of threads from 1 to 99');
  return Number(v);
}

const noPackets = () => NftlensError.of('INPUT_PARSE', 'no packets: give -p PACKET or --packets FILE', {});
