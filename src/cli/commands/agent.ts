// `nftlens agent`: run in the gateway pod (NET_ADMIN) as its FirewallConfiguration controller —
// watch the resources Liqo's gateway would select (--remote-cluster-id, or --selector sets), apply
// each atomically and verify it, keep a per-host status and finalizer, re-verify every --resync,
// serve /healthz, /readyz and /metrics on --listen (loopback unless allowed), log JSON lines on
// stderr. --generate also keeps the provider-protection resource current. SIGTERM or SIGINT: the
// reconciles in flight finish, then exit 0.

import { Command, InvalidArgumentError, Option } from 'commander';
import type { Listen } from '../../backends/gateway/telemetry.js';
import { collect } from '../options.js';
import type { Register } from './index.js';
import { parseDuration, untilSignal } from './watch.js';

interface AgentCliOptions {
  kubeconfig?: string;
  netns?: string;
  owner: string;
  host?: string;
  remoteClusterId?: string;
  selector?: string[];
  resync: number;
  workers: number;
  listen: string;
  listenAllowRemote?: boolean;
  generate?: boolean;
  generateInterval: number;
  logLevel: string;
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`expected a whole number from 1 to 64, got ${JSON.stringify(text)}`);
  return n;
}

export const registerAgent: Register = (program, ctx) => {
  const cmd = new Command('agent')
    .description("the gateway's FirewallConfiguration controller: watch, apply atomically, verify, status, finalizers, drift healing (root, in the gateway pod)")
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or the in-cluster account)')
    .option('--netns <name>', 'apply in this named network namespace instead of the agent\'s own')
    .option('--owner <name>', 'owner written in the tables\' ownership marker', 'nftlens-agent')
    .option('--host <name>', 'this gateway in status entries and the finalizer (default: the host name)')
    .option('--remote-cluster-id <id>', "select as Liqo's gateway for this remote cluster does (fabric, unique=ID, ip-mapping)")
    .option('--selector <k=v,...>', 'select resources holding all these labels; repeatable (OR); replaces the Liqo sets', collect)
    .option('--resync <duration>', 're-verify every resource this often (heals drift)', parseDuration, 60_000)
    .option('--workers <n>', 'reconciles at once (their applies share transactions; kernel work stays one at a time)', positive, 16)
    .option('--listen <host:port>', '/healthz, /readyz and /metrics', '127.0.0.1:9464')
    .option('--listen-allow-remote', 'let --listen use a non-loopback address (no authentication)')
    .option('--generate', 'also generate and keep current the provider-protection resource from the peering state')
    .option('--generate-interval <duration>', 'how often --generate reads the peering state', parseDuration, 10_000)
    .addOption(new Option('--log-level <level>', 'log level of the JSON lines on stderr').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'));
  cmd.action(async (opts: AgentCliOptions) => {
    const [{ checkNft, defaultHost }, { createLogger, parseListen }, { Agent }, { gatewaySelectors, parseLabelSet }, { KubeClient, loadKubeConfig }] = await Promise.all([
      import('../../backends/gateway/index.js'),
      import('../../backends/gateway/telemetry.js'),
      import('../../services/agent/agent.js'),
      import('../../services/agent/labels.js'),
      import('../../services/kube/client.js'),
    ]);
    let listen: Listen;
    let selectors: ReturnType<typeof gatewaySelectors>;
    try {
      listen = parseListen(opts.listen, opts.listenAllowRemote);
      selectors = opts.selector?.length ? opts.selector.map(parseLabelSet) : gatewaySelectors(opts.remoteClusterId);
    } catch (e) {
      return cmd.error(`error: ${(e as Error).message}`, { exitCode: 2, code: 'nftlens.usage' });
    }
    const config = loadKubeConfig(opts.kubeconfig);
    await checkNft({ netns: opts.netns });
    const log = createLogger(ctx.stderr, opts.logLevel);
    const agent = new Agent({
      config, kube: new KubeClient(config), netns: opts.netns, owner: opts.owner, host: opts.host ?? defaultHost(opts.netns),
      selectors, workers: opts.workers, resyncMs: opts.resync, listen, log,
      generate: opts.generate ? { intervalMs: opts.generateInterval, policy: {} } : undefined,
    });
    const stop = untilSignal();
    try {
      await Promise.race([agent.start(), stop]);
      const sig = await stop;
      log.info({ signal: sig }, 'stopping: finishing the reconciles in flight');
    } finally {
      await agent.stop();
    }
  });
  program.addCommand(cmd);
};
