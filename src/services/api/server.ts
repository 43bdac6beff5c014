// The what-if service as a process: builds the app (app.ts) with pino logs on standard error,
// loads the named policies, listens (loopback by default) and serves until SIGTERM or SIGINT,
// then closes gracefully — stops accepting, lets requests in flight finish, stops running
// analyses — and resolves, so that `nftlens serve` exits 0.

import type { Writable } from 'node:stream';
import { buildApp, type AppOptions } from './app.js';
import type { App } from './app.js';

export interface ServeOptions extends AppOptions {
  host: string;
  port: number;
  /** Policies to load: name → the paths -f gave for it (no paths: the embedded examples). */
  policies: [string, string[]][];
  nameRules?: boolean;
}

export interface Running extends App {
  url: string;
  close: () => Promise<void>;
}

export async function startServer(opts: ServeOptions): Promise<Running> {
  const built = await buildApp(opts);
  for (const [name, paths] of opts.policies) await built.services.store.load(name, paths, opts.nameRules);
  await built.app.listen({ host: opts.host, port: opts.port });
  const a = built.app.server.address();
  const port = typeof a === 'object' && a ? a.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { ...built, url: `http://${host}:${port}`, close: () => built.app.close() };
}

/** Serves until SIGTERM or SIGINT, then closes; `onListening` is told the URL. */
export async function serveUntilSignal(opts: ServeOptions, out: Writable): Promise<void> {
  const running = await startServer(opts);
  const s = running.services.store;
  out.write(`nftlens serve: listening on ${running.url} (${s.size} polic${s.size === 1 ? 'y' : 'ies'}: ${s.names().join(', ')}); docs at ${running.url}/docs\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on).off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on).on('SIGINT', on);
  });
  running.app.log.info({ signal }, 'closing');
  await running.close();
}
