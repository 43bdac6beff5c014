// `nftlens probe`: the kernel as judge of the engine. Loads the policies into a throwaway gateway
// namespace, sends the given (and/or generated) packets through it, and compares delivery, NAT and
// per-rule counters with the engine's predictions. Exit 1 on any mismatch; needs root.

import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { NftlensError } from '../../model/diagnostics.js';
import type { Packet } from '../../engine/packet.js';
import { collect, loadInput, print, withInput, withOutput, type InputOptions } from '../options.js';
import { EnvironmentError, ExitCode, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface ProbeCliOptions extends InputOptions {
  packets?: string;
  packet?: string[];
  random?: string;
  seed?: string;
  output: OutputFormat;
  reference?: boolean;
  verbose?: boolean;
  minCompared?: string;
}

export const registerProbe: Register = (program, ctx) => {
  const cmd = new Command('probe')
    .description('send packets through the policies loaded in a throwaway network namespace and check the engine against the kernel (root)')
    .option('--packets <file>', 'packets, one a line (text form or JSON); # starts a comment')
    .option('-p, --packet <packet>', 'a packet, e.g. "tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif liqo-tunnel oif eth0"; repeatable', collect)
    .option('--random <n>', 'add N packets generated from the policies\' rules and at random')
    .option('--seed <n>', 'seed for --random (default 1)')
    .option('--reference', 'judge the reference interpreter instead of the WebAssembly classifier')
    .option('--min-compared <share>', 'least share of the packets that must be compared, not skipped, for a pass (default 0.9)')
    .option('-v, --verbose', 'print every packet and counter, not only mismatches');
  withOutput(withInput(cmd), ['text', 'json'], 'text').action(async (opts: ProbeCliOptions) => {
    // The probe, the engine and the namespaces load on use, so that other commands (and --help) start without them.
    const [{ progress }, { kernelAvailable }, { parsePacketLine }, { MIN_COMPARED, probe }, { generatePackets }, { formatReport, reportJson }] = await Promise.all([
      import('../progress.js'),
      import('../../backends/netns/netns.js'),
      import('../../engine/packet.js'),
      import('../../probe/probe.js'),
      import('../../probe/generate.js'),
      import('../../probe/report.js'),
    ]);
    const why = await kernelAvailable();
    if (why) throw new EnvironmentError(`probe needs the kernel: ${why}`);
    const { ruleset } = await loadInput(opts, ctx);
    const packets: Packet[] = [];
    if (opts.packets) {
      const text = await readFile(opts.packets, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw NftlensError.of('INPUT_READ', `cannot read: ${e.code ?? String(e)}`, { file: opts.packets });
      });
      text.split('\n').forEach((line, i) => {
        const t = line.replace(/#.*$/, '').trim();
        if (t) packets.push(parsePacketLine(t, { file: opts.packets, line: i + 1 }));
      });
    }
    for (const [i, p] of (opts.packet ?? []).entries()) packets.push(parsePacketLine(p, { file: `-p #${i + 1}` }));
    const random = opts.random === undefined ? 0 : Number(opts.random);
    if (!Number.isInteger(random) || random < 0) throw NftlensError.of('INPUT_PARSE', `--random takes a count, not "${opts.random}"`, {});
    const seed = opts.seed === undefined ? 1 : Number(opts.seed);
    if (!Number.isInteger(seed)) throw NftlensError.of('INPUT_PARSE', `--seed takes an integer, not "${opts.seed}"`, {});
    const minCompared = opts.minCompared === undefined ? MIN_COMPARED : Number(opts.minCompared);
    if (!(minCompared >= 0 && minCompared <= 1)) throw NftlensError.of('INPUT_PARSE', `--min-compared takes a share from 0 to 1, not "${opts.minCompared}"`, {});
    if (random > 0) for (const p of generatePackets(ruleset, { random, seed })) packets.push(p);
    if (packets.length === 0) throw NftlensError.of('INPUT_PARSE', 'no packets: give --packets FILE, -p PACKET or --random N', {});
    const bar = progress(ctx, 'probe [{bar}] {value}/{total} packets');
    const report = await probe(ruleset, packets, {
      engine: opts.reference ? 'reference' : 'wasm',
      minCompared,
      onProgress: (sent, total) => bar.update(sent, total),
    }).catch((e: unknown) => {
      // The namespaces, nft, tcpreplay or tcpdump failed under the probe: the environment.
      if (e instanceof NftlensError) throw e;
      throw new EnvironmentError(`the probe could not run: ${e instanceof Error ? e.message : String(e)}`);
    }).finally(() => bar.stop());
    if (opts.output === 'json') print(ctx, JSON.stringify(reportJson(report), null, 2) + '\n');
    else print(ctx, formatReport(report, { verbose: opts.verbose }));
    if (!report.ok) throw new ExitCode(1);
  });
  program.addCommand(cmd);
};
