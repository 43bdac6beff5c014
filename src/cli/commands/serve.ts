// `nftlens serve`: the what-if service — named policies held compiled, answered over HTTP (JSON,
// OpenAPI at /openapi.json, docs at /docs). `-f [NAME=]PATH` (repeatable) loads a policy named
// NAME (default: the file or folder name without extension); no -f serves the embedded examples
// as `examples`. Listens on loopback by default; SIGTERM/SIGINT close it gracefully (exit 0).

import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { NftlensError } from '../../model/diagnostics.js';
import { collect } from '../options.js';
import type { Register } from './index.js';

interface ServeOpts {
  filename?: string[];
  nameRules?: boolean;
  listen: string;
  tokenFile?: string;
  bodyLimit: string;
  maxBatch: string;
  analysisTimeout: string;
  workers: string;
  logLevel: string;
}

export const registerServe: Register = (program, ctx) => {
  const cmd = new Command('serve')
    .description('serve what-if queries over HTTP: policies held compiled; evaluate, analyze, isolation, diff (OpenAPI at /openapi.json)')
    .option('-f, --filename <[name=]path>', 'a policy: file, folder; NAME= names it (default: its file name); repeatable (default: the embedded examples, as "examples")', collect)
    .option('--name-rules', "name nameless Liqo rules deterministically, as Liqo's mutating webhook does")
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--token-file <file>', 'bearer token that PUT and DELETE require (also: env NFTLENS_TOKEN)')
    .option('--body-limit <bytes>', 'largest request body', String(16 * 1024 * 1024))
    .option('--max-batch <n>', 'most packets one evaluate request may hold', '200000')
    .option('--analysis-timeout <ms>', 'time an analysis may run', '30000')
    .option('--workers <n>', 'analyses run at once (worker threads)', '2')
    .addOption(new Option('--log-level <level>', 'log level (pino, on stderr); debug and trace also log every request').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'));
  cmd.action(async (opts: ServeOpts) => {
    const { host, port } = parseListen(opts.listen);
    const policies = policyPaths(opts.filename ?? []);
    const token = opts.tokenFile ? await readToken(opts.tokenFile) : process.env.NFTLENS_TOKEN || undefined;
    const { serveUntilSignal } = await import('../../services/api/server.js'); // on use
    await serveUntilSignal({
      host, port, policies, nameRules: opts.nameRules, token,
      bodyLimit: positive(opts.bodyLimit, '--body-limit'),
      limits: { maxBatch: positive(opts.maxBatch, '--max-batch') },
      analysisTimeoutMs: positive(opts.analysisTimeout, '--analysis-timeout'),
      workers: positive(opts.workers, '--workers'),
      logger: { level: opts.logLevel, stream: ctx.stderr },
    }, ctx.stdout);
  });
  program.addCommand(cmd);
};

const usage = (message: string) => NftlensError.of('INPUT_PARSE', message, {});

function positive(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw usage(`${option} "${text}" is not a positive integer`);
  return n;
}

/** HOST:PORT, an IPv6 host in brackets. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw usage(`--listen "${text}": expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080`);
  return { host: m[1] ?? m[2]!, port };
}

/** `-f` values grouped by policy name: NAME=PATH, or PATH named after its file or folder. */
export function policyPaths(specs: readonly string[]): [string, string[]][] {
  if (!specs.length) return [['examples', []]];
  const out = new Map<string, string[]>();
  for (const spec of specs) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})=(.+)$/.exec(spec);
    const path = m ? m[2]! : spec;
    const name = m ? m[1]! : basename(path, extname(path));
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) throw usage(`-f "${spec}": the policy name "${name}" must be letters, digits, . _ -; name it with NAME=PATH`);
    out.set(name, [...(out.get(name) ?? []), path]);
  }
  return [...out];
}

async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw NftlensError.of('INPUT_READ', `cannot read the token file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  const token = text.trim();
  if (!token || /\s/.test(token)) throw NftlensError.of('INPUT_PARSE', 'the token file must hold one token, without spaces', { file });
  return token;
}
