// The start check of apply and verify: nft exists, is 1.0 or later, and speaks JSON in the target
// namespace (`nft -j list flowtables` answers a JSON document: a list command that costs nft
// nothing, where `list tables` walks the whole ruleset — 0.3 s of CPU beside a 10k-rule table).
// Any failure is one NFT_ENV error (an environment failure, exit 3) before anything is written.

import { exec } from '../netns/exec.js';
import { NftlensError } from '../../model/diagnostics.js';
import { runNft, type NftRun } from './nft-run.js';
import type { NftInfo } from './types.js';

const VERSION = /nftables v(\d+)\.(\d+)(?:\.(\d+))?/;

function envError(message: string): NftlensError {
  return NftlensError.of('NFT_ENV', message, { file: 'nft' });
}

export async function checkNft(opts: NftRun = {}): Promise<NftInfo> {
  let out: string;
  try {
    const r = await exec('nft', ['--version'], { timeoutMs: opts.timeoutMs ?? 30_000 });
    if (r.code !== 0) throw envError(`nft --version failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    out = r.stdout;
  } catch (e) {
    if (e instanceof NftlensError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw envError(code === 'ENOENT' ? 'nft is not installed (not found on PATH); install nftables 1.0 or later' : `cannot run nft: ${String(e)}`);
  }
  const v = VERSION.exec(out);
  if (!v) throw envError(`cannot read nft's version from ${JSON.stringify(out.trim().slice(0, 80))}`);
  const version = `${v[1]}.${v[2]}${v[3] !== undefined ? `.${v[3]}` : ''}`;
  if (Number(v[1]) < 1) throw envError(`nft ${version} is too old: nftlens needs nftables 1.0 or later (JSON listing and input)`);

  const r = await runNft(['-j', 'list', 'flowtables'], opts);
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    throw envError(`\`nft -j list flowtables\`${opts.netns ? ` in netns ${opts.netns}` : ''} failed: ${why || `exit ${r.code}`} (nft without JSON support, or no such namespace)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    doc = undefined;
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { nftables?: unknown }).nftables)) {
    throw envError('`nft -j list flowtables` did not print a JSON document: nft is built without JSON support');
  }
  return { version };
}

/**
 * checkNft started now and awaited later (the CLI starts it before reading its input): a failure
 * is reported where it is awaited, not as an unhandled rejection meanwhile.
 */
export function startNftCheck(opts: NftRun = {}): Promise<NftInfo> {
  const checking = checkNft(opts);
  checking.catch(() => undefined);
  return checking;
}
