// `nftlens generate`: the provider-protection FirewallConfiguration for a Liqo provider's peering
// state — from files (`-f`, recorded `kubectl get … -o yaml` lists) or from a cluster
// (`--from-cluster`, the kubeconfig's or --kubeconfig's) — proved with the isolation analysis, then
// printed (-o yaml|json), and with --write created or replaced in the cluster only when its meaning
// changed. Exit 0: generated (and written or unchanged); 2: bad or incomplete peering state
// (overlapping remapped CIDRs included); 3: the API server failed, or the proof failed (a bug).

import { Command } from 'commander';
import { collect, print, printDiagnostics, withOutput } from '../options.js';
import type { CliContext, OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface GenerateCliOptions {
  filename?: string[];
  fromCluster?: boolean;
  kubeconfig?: string;
  write?: boolean;
  name?: string;
  namespace?: string;
  table?: string;
  tunnel?: string;
  label?: string[];
  output: OutputFormat;
}

async function policyOptions(o: GenerateCliOptions) {
  const { parseLabelSet } = await import('../../services/agent/labels.js');
  const labels = o.label?.length ? Object.assign({}, ...o.label.map(parseLabelSet)) as Record<string, string> : undefined;
  return { name: o.name, namespace: o.namespace, table: o.table, tunnel: o.tunnel, labels };
}

export const registerGenerate: Register = (program, ctx) => {
  const cmd = new Command('generate')
    .description("generate the provider-protection FirewallConfiguration from Liqo's peering state (files or a cluster), proved isolated before it is printed or written")
    .option('-f, --filename <path>', 'peering state: ForeignClusters, Configurations, offloaded Pods (YAML/JSON, Lists); file, folder or -; repeatable', collect)
    .option('--from-cluster', 'read the peering state from the cluster of the kubeconfig')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or the in-cluster account)')
    .option('--write', 'with --from-cluster: create or replace the resource in the cluster when its meaning changed')
    .option('--name <name>', 'resource name (default nftlens-provider-protection)')
    .option('--namespace <ns>', 'resource namespace (default liqo)')
    .option('--table <name>', 'nftables table name (default nftlens-provider-protection)')
    .option('--tunnel <ifname>', "the gateway's tunnel interface (default liqo-tunnel)")
    .option('--label <k=v,...>', "labels the gateways select it by, instead of Liqo's gateway/fabric set; repeatable", collect);
  withOutput(cmd, ['yaml', 'json'], 'yaml');
  cmd.action(async (opts: GenerateCliOptions) => {
    if (!!opts.fromCluster === !!opts.filename?.length) cmd.error('error: give either -f (peering state files) or --from-cluster', { exitCode: 2, code: 'nftlens.usage' });
    if (opts.write && !opts.fromCluster) cmd.error('error: --write needs --from-cluster', { exitCode: 2, code: 'nftlens.usage' });
    let policy: Awaited<ReturnType<typeof policyOptions>>;
    try {
      policy = await policyOptions(opts);
    } catch (e) {
      return cmd.error(`error: option '--label': ${(e as Error).message}`, { exitCode: 2, code: 'nftlens.usage' });
    }
    const gen = await import('../../services/generate/index.js');
    let generated: import('../../services/generate/index.js').Generated;
    if (opts.fromCluster) {
      const [{ KubeClient, loadKubeConfig }, { generateInCluster }, { clusterCall }] = await Promise.all([
        import('../../services/kube/client.js'), import('../../services/generate/write.js'), import('../kube-errors.js'),
      ]);
      const kube = new KubeClient(loadKubeConfig(opts.kubeconfig));
      if (opts.write) {
        const r = await clusterCall(() => generateInCluster(kube, policy));
        generated = r.generated;
        ctx.stderr.write(`nftlens generate: ${r.action} ${String((generated.resource.metadata as { namespace: string }).namespace)}/${String((generated.resource.metadata as { name: string }).name)}\n`);
      } else generated = gen.generateProtection(await clusterCall(() => kube.peeringObjects()), 'cluster', policy);
    } else {
      const { readSources } = await import('../../frontends/sources.js');
      const from = new Map<import('../../services/generate/index.js').KubeObject, string>();
      for (const s of await readSources(opts.filename!, ctx.stdin, (p) => p)) for (const o of gen.objectsOfText(s.text, s.file)) from.set(o, s.file);
      generated = gen.generateProtection([...from.keys()], opts.filename!.join(', '), policy, from);
    }
    report(ctx, generated);
    print(ctx, opts.output === 'json' ? JSON.stringify(generated.resource, null, 2) + '\n' : gen.policyYaml(generated.resource));
  });
  program.addCommand(cmd);
};

function report(ctx: CliContext, g: import('../../services/generate/index.js').Generated): void {
  printDiagnostics(g.notes, ctx);
  const n = g.state.consumers.length;
  const pods = g.state.consumers.reduce((k, c) => k + c.pods.length, 0);
  ctx.stderr.write(`nftlens generate: ${n} consumer(s), ${pods} offloaded pod(s): proved isolated (each consumer reaches only its own pods; nothing else crosses the tunnel)\n`);
}
