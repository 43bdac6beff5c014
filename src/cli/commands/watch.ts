// `nftlens watch`: keep checking that the gateway holds the policies — on a timer and on every
// kernel change to an owned table (`nft -j monitor`, debounced) — and with --heal re-apply them.
// Logs are JSON lines on stderr (pino); --metrics serves Prometheus metrics on a loopback address.
// Runs until SIGTERM or SIGINT, then kills the monitor child, closes the metrics server, exits 0.

import { Command, InvalidArgumentError, Option } from 'commander';
import type { GatewayOptions } from '../../backends/gateway/index.js';
import type { Listen, MetricsServer } from '../../backends/gateway/telemetry.js';
import { tableId } from '../../model/ruleset.js';
import { collect, loadInput, withNameRules } from '../options.js';
import { type GatewayCliOptions } from './apply.js';
import type { Register } from './index.js';

interface WatchCliOptions extends Omit<GatewayCliOptions, 'output'> {
  interval: number;
  debounce: number;
  heal?: boolean;
  metrics?: string;
  metricsAllowRemote?: boolean;
  logLevel: string;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `60s`, `500ms`, `2m`, `1h`, or a number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : NaN;
  if (!Number.isFinite(ms) || ms < 10 || ms > 86_400_000) {
    throw new InvalidArgumentError(`expected a duration from 10ms to 24h such as 60s, 500ms or 2m, got ${JSON.stringify(text)}`);
  }
  return Math.round(ms);
}

/** Resolves on the first SIGTERM or SIGINT (and stops listening for them). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export const registerWatch: Register = (program, ctx) => {
  // apply's input and gateway options, without -o: watch prints no data, only log lines.
  const cmd = new Command('watch')
    .description('re-verify the policies on the gateway on a timer and on kernel changes to owned tables; --heal re-applies them (root)');
  withNameRules(cmd.requiredOption('-f, --filename <path>', 'file, folder or - (stdin); repeatable', collect));
  cmd
    .option('--netns <name>', 'the gateway is this named network namespace (ip netns)')
    .option('--owner <name>', 'owner written in (and looked for in) the ownership marker', 'nftlens')
    .option('--interval <duration>', 'check at least this often', parseDuration, 60_000)
    .option('--debounce <duration>', 'quiet time after a kernel change before checking', parseDuration, 200)
    .option('--heal', 're-apply the policies when the kernel drifted from them')
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (loopback only)')
    .option('--metrics-allow-remote', 'let --metrics listen on a non-loopback address (no authentication)')
    .addOption(new Option('--log-level <level>', 'log level of the JSON lines on stderr').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'));
  cmd.action(async (opts: WatchCliOptions) => {
    // The gateway back end, pino and prom-client load on use: other commands and --help start without them.
    const [{ apply, intentFrom, startNftCheck }, { createLogger, GatewayMetrics, parseListen, serveMetrics }, { ownedCheck, Watcher }] = await Promise.all([
      import('../../backends/gateway/index.js'),
      import('../../backends/gateway/telemetry.js'),
      import('../../backends/gateway/watch.js'),
    ]);
    let listen: Listen | undefined;
    try {
      if (opts.metrics !== undefined) listen = parseListen(opts.metrics, opts.metricsAllowRemote);
    } catch (e) {
      cmd.error(`error: option '--metrics <host:port>': ${(e as Error).message}`, { exitCode: 2, code: 'nftlens.usage' });
    }
    const nftChecked = startNftCheck({ netns: opts.netns }); // nft runs while the input parses
    const intent = intentFrom(await loadInput(opts, ctx));
    const gw: GatewayOptions = { netns: opts.netns, owner: opts.owner };
    await nftChecked;
    const log = createLogger(ctx.stderr, opts.logLevel);
    const metrics = new GatewayMetrics();
    const tables = intent.ruleset.tables.map(tableId);
    const watcher = new Watcher({
      netns: opts.netns,
      tables,
      ruleCounts: new Map(intent.ruleset.tables.map((t) => [tableId(t), t.chains.reduce((n, c) => n + c.rules.length, 0)])),
      check: ownedCheck(intent, gw),
      heal: opts.heal
        ? async () => {
          const r = await apply(intent, gw);
          return { ok: !r.failure && r.verify?.inSync === true, message: r.failure?.message };
        }
        : undefined,
      intervalMs: opts.interval,
      debounceMs: opts.debounce,
      log,
      metrics,
    });
    const stop = untilSignal();
    let server: MetricsServer | undefined;
    try {
      if (listen) server = await serveMetrics(metrics.registry, listen);
      log.info({ tables, netns: opts.netns ?? null, intervalMs: opts.interval, heal: opts.heal === true, metrics: server?.url ?? null }, 'watching');
      await watcher.start();
      const sig = await stop;
      log.info({ signal: sig }, 'stopping');
    } finally {
      await watcher.stop();
      await server?.close();
    }
  });
  program.addCommand(cmd);
};
