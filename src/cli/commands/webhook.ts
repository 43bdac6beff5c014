// `nftlens webhook`: the admission webhook for FirewallConfigurations (HTTPS, AdmissionReview v1):
// POST /validate denies what Liqo's webhook denies plus what the analyses find across the resources
// a gateway would load (by --config: deny, warn or off per finding kind), POST /mutate names
// nameless rules. The other resources come from the API server (in-cluster, or --kubeconfig) or,
// with --resources, from files. Health and metrics on a loopback port. Runs until SIGTERM/SIGINT.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import ipaddr from 'ipaddr.js';
import { parseAllDocuments } from 'yaml';
import { readSources } from '../../frontends/sources.js';
import { NftlensError } from '../../model/diagnostics.js';
import { collect } from '../options.js';
import { untilSignal } from './watch.js';
import type { Register } from './index.js';

interface WebhookCliOptions {
  cert: string;
  key: string;
  listen: string;
  health: string;
  config?: string;
  resources?: string[];
  kubeconfig?: string;
  logLevel: string;
}

type Obj = Record<string, any>;

/** The FirewallConfigurations of files and folders (documents and List items), read as `-f` reads them. */
async function resourcesOf(paths: string[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const { file, text } of await readSources(paths, undefined, (p) => p)) {
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length) throw NftlensError.of('INPUT_PARSE', d.errors[0]!.message, { file });
      const o = d.toJS() as Obj | null;
      for (const item of o?.kind === 'List' ? (o.items ?? []) : [o]) if (item?.kind === 'FirewallConfiguration') out.push(item);
    }
  }
  return out;
}

/** Reads a file the user named, as a located error (exit 2) when it cannot be read. */
async function readUserFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw NftlensError.of('INPUT_READ', `cannot read ${file}: ${(e as Error).message}`, { file });
  }
}

export const registerWebhook: Register = (program, ctx) => {
  const cmd = new Command('webhook')
    .description('serve the FirewallConfiguration admission webhook (HTTPS, AdmissionReview v1): /validate with the analyses, /mutate names rules')
    .requiredOption('--cert <file>', 'serving certificate (PEM); re-read when it changes')
    .requiredOption('--key <file>', 'its private key (PEM); re-read when it changes')
    .option('--listen <host:port>', 'HTTPS address the API server calls', '0.0.0.0:8443')
    .option('--health <host:port>', '/healthz, /readyz and /metrics (loopback only)', '127.0.0.1:8081')
    .option('--config <file>', 'deny/warn/off per check, analysis budget, tenants (see docs)')
    .option('--resources <path>', 'the FirewallConfigurations a gateway loads, from a file instead of the API server; repeatable', collect)
    .option('--kubeconfig <file>', 'kubeconfig for the API server (default: KUBECONFIG, ~/.kube/config or in-cluster)')
    .addOption(new Option('--log-level <level>', 'log level of the JSON lines on stderr').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'));
  cmd.action(async (opts: WebhookCliOptions) => {
    // The webhook, its analyses and the Kubernetes client load on use: other commands start without them.
    const [{ startWebhook }, { defaultPolicy, parsePolicy }, { createLogger, parseListen }] = await Promise.all([
      import('../../services/webhook/server.js'),
      import('../../services/webhook/policy.js'),
      import('../../backends/gateway/telemetry.js'),
    ]);
    const usage = (option: string, e: unknown) => cmd.error(`error: option '${option}': ${(e as Error).message}`, { exitCode: 2, code: 'nftlens.usage' });
    let listen, health;
    try {
      listen = parseListen(opts.listen, true);
    } catch (e) {
      usage('--listen <host:port>', e);
    }
    try {
      health = parseListen(opts.health, true);
      if (ipaddr.process(health.host).range() !== 'loopback') throw new Error(`${health.host} is not a loopback address; health and metrics have no authentication`);
    } catch (e) {
      usage('--health <host:port>', e);
    }
    // The certificate and key are read now, so that a wrong path is a usage error and not a failed start.
    await Promise.all([readUserFile(opts.cert), readUserFile(opts.key)]);
    const policy = opts.config ? parsePolicy(await readUserFile(opts.config), opts.config) : defaultPolicy();
    let others: () => Promise<Obj[]>;
    if (opts.resources) {
      const fixed = await resourcesOf(opts.resources);
      others = async () => fixed;
    } else {
      const { KubeConfig, CustomObjectsApi } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
      else kc.loadFromDefault();
      const api = kc.makeApiClient(CustomObjectsApi);
      others = async () => {
        const list = await Promise.race([
          api.listClusterCustomObject({ group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations' }),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`listing FirewallConfigurations took over ${policy.budgetMs} ms`)), policy.budgetMs).unref()),
        ]);
        return (list as Obj).items ?? [];
      };
    }
    const log = createLogger(ctx.stderr, opts.logLevel);
    const stop = untilSignal();
    const hook = await startWebhook({ certFile: opts.cert, keyFile: opts.key, listen: listen!, health: health!, policy, others, log });
    try {
      const sig = await stop;
      log.info({ signal: sig }, 'stopping');
    } finally {
      await hook.close();
    }
  });
  program.addCommand(cmd);
};
