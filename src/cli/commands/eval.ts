// `nftlens eval`: what the ruleset does to given packets — verdict, the rule (or policy) that
// decided, the packet after NAT, and with --trace every hook, chain, rule and statement on the way.
// Packets come from -p (repeatable, text form) or --packets FILE (one per line, text or JSON),
// read, classified and written a chunk at a time (../eval-stream.ts): millions in constant memory,
// on every core. With --flow, whole connections instead (src/engine/flow.ts): the first packet,
// the reply and the next packet as conntrack classifies them; exit 1 when one does not work (in
// some outcome, when stateful expressions decide).

import { Command, InvalidArgumentError, Option } from 'commander';
import { NftlensError } from '../../model/diagnostics.js';
import type { PathHook } from '../../engine/index.js';
import { HOOK_CHOICES, collect, loadInput, printDiagnostics, withInput, withLocal, withOutput, writeData, type InputOptions, hostEnvironment, type HostOptions } from '../options.js';
import { ExitCode, type CliContext, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface EvalOpts extends InputOptions, HostOptions {
  packet?: string[];
  packets?: string;
  flow?: string[];
  output: OutputFormat;
  trace?: boolean;
  hook?: PathHook;
  ifAddr?: string[];
  workers?: number;
}

export const registerEval: Register = (program, ctx) => {
  const cmd = new Command('eval')
    .description('evaluate packets against the ruleset as the kernel would: verdict, deciding rule, NAT, trace')
    .option('-p, --packet <packet>', "a packet, e.g. 'tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1'; repeatable", collect)
    .option('--flow <flow>', "a connection, e.g. 'tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1' (tcp, udp, icmp echo): first packet, reply and next packet as conntrack sees them; exit 1 when it does not work both ways; repeatable", collect)
    .option('--packets <file>', 'packets, one per line (text form or JSON), - for stdin; streamed, -o json as one JSON array')
    .option('--trace', 'show hooks, chains, rules and statements on the way')
    .addOption(new Option('--hook <hook>', 'evaluate one hook alone').choices(HOOK_CHOICES))
    .option('--if-addr <name=address>', 'an address of an interface (masquerade uses it); repeatable', collect)
    .option('--workers <n>', 'threads for a big --packets file (default, -o text and json alike: one per core from 4 cores on, else 1, the pool measured slower on 2 cores; 1: this thread only)', workerCount);
  withOutput(withLocal(withInput(cmd)), ['text', 'json'], 'text').action(async (opts: EvalOpts) => {
    if (opts.flow) return evalFlows(opts, ctx);
    // The engine (and its WebAssembly) loads on use, so that other commands (and --help) start without it.
    const [{ compileRuleset, parsePacket }, { evaluateStream, openPackets }] = await Promise.all([import('../../engine/index.js'), import('../eval-stream.js')]);
    const given = (opts.packet ?? []).map((t, i) => parsePacket(t, { field: `--packet[${i}]` }));
    const file = opts.packets === undefined ? undefined : await openPackets(opts.packets, ctx.stdin);
    if (!given.length && !file) throw noPackets();
    const loaded = await loadInput(opts, ctx);
    const classifier = compileRuleset(loaded.ruleset, { ...hostEnvironment(opts), interfaceAddresses: ifAddresses(opts) });
    printDiagnostics(classifier.diagnostics, ctx);
    const { packets } = await evaluateStream(classifier, given, file, { format: opts.output, trace: opts.trace, hook: opts.hook, workers: opts.workers }, ctx);
    if (packets === 0) throw noPackets();
  });
  program.addCommand(cmd);
};

/** `--flow`: each connection through the reference interpreter, three packets each. */
async function evalFlows(opts: EvalOpts, ctx: CliContext): Promise<void> {
  if (opts.packet || opts.packets !== undefined) throw NftlensError.of('INPUT_PARSE', '--flow evaluates connections: give flows or packets (-p, --packets), not both', { field: '--flow' });
  if (opts.hook || opts.workers !== undefined) throw NftlensError.of('INPUT_PARSE', `--flow runs every hook of a connection in this thread: ${opts.hook ? '--hook' : '--workers'} does not apply`, { field: '--flow' });
  const [{ flowOutcomes, parseFlow }, { flowOutcomesJson, formatFlowOutcomes }, { planRuleset }, { makeEnvironment }] = await Promise.all([
    import('../../engine/flow.js'), import('../../engine/flow-format.js'), import('../../engine/plan.js'), import('../../engine/environment.js'),
  ]);
  const flows = opts.flow!.map((t, i) => parseFlow(t, { field: `--flow[${i}]` }));
  const loaded = await loadInput(opts, ctx);
  const plan = planRuleset(loaded.ruleset);
  printDiagnostics(plan.diagnostics, ctx);
  const env = makeEnvironment({ ...hostEnvironment(opts), interfaceAddresses: ifAddresses(opts) });
  // A flow whose steps meet stateful expressions has an outcome per way they can go; it works when every one does.
  const results = flows.map((f) => flowOutcomes(plan, env, f, { trace: opts.trace }));
  writeData(ctx, opts.output, results.map((r) => flowOutcomesJson(plan, r.outcomes, r.more)), () => results.map((r) => formatFlowOutcomes(plan, r.outcomes, r.more)).join('\n'));
  if (!results.every((r) => !r.more && r.outcomes.every((o) => o.result.works))) throw new ExitCode(1);
}

function ifAddresses(opts: EvalOpts): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const spec of opts.ifAddr ?? []) {
    const [name, addr] = spec.split('=');
    if (!name || !addr) throw NftlensError.of('INPUT_PARSE', `--if-addr "${spec}": expected NAME=ADDRESS`, { field: '--if-addr' });
    (out[name] ??= []).push(addr);
  }
  return out;
}

function workerCount(v: string): number {
  if (!/^\d{1,2}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a number of threads from 1 to 99');
  return Number(v);
}

const noPackets = () => NftlensError.of('INPUT_PARSE', 'no packets: give -p PACKET or --packets FILE', {});
