// Talking to the kernel through `nft`: load a rendered JSON document as one batch (`nft -j -f`),
// or rendered text (`nft -f`, for tests of the text form),
// and read the live ruleset back through the nft-JSON front end, optionally inside a named network
// namespace. Argument vectors only. The document goes through a private temporary file rather than
// stdin: nft 1.0.6 reads `-f -` by opening /dev/stdin, which fails (ENXIO) on the socket Node
// gives a child as its stdin pipe.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, type ExecResult } from '../netns/exec.js';
import { importNftJson } from '../../frontends/nft-json/index.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Ruleset } from '../../model/ruleset.js';
import type { NftJsonDocument } from './render-json.js';

export interface NftOptions {
  /** Run nft inside this network namespace. */
  netns?: string;
  timeoutMs?: number;
}

async function nft(args: string[], opts: NftOptions): Promise<string> {
  const where = opts.netns ? ` (netns ${opts.netns})` : '';
  const origin = { file: `nft ${args.join(' ')}${where}` };
  let r: ExecResult;
  try {
    r = await exec('nft', args, { netns: opts.netns, timeoutMs: opts.timeoutMs ?? 60_000 });
  } catch (e) {
    throw NftlensError.of('NFT_COMMAND', `cannot run nft: ${e instanceof Error ? e.message : String(e)}`, origin);
  }
  if (r.code !== 0) {
    const message = (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).replace(/\s+$/, '');
    throw NftlensError.of('NFT_COMMAND', message, origin);
  }
  return r.stdout;
}

/** Applies a document from renderNftJson() as one atomic transaction. */
export async function loadRuleset(doc: NftJsonDocument, opts: NftOptions = {}): Promise<void> {
  await withFile('ruleset.json', JSON.stringify(doc), (file) => nft(['-j', '-f', file], opts));
}

/** Loads text from renderNftText() with `nft -f` (`nft -c -f` with check: nothing is applied). */
export async function loadRulesetText(text: string, opts: NftOptions & { check?: boolean } = {}): Promise<void> {
  await withFile('ruleset.nft', text, (file) => nft([...(opts.check ? ['-c'] : []), '-f', file], opts));
}

/** Runs fn on a private temporary file holding content (nft reads its input from a file), then removes it. */
export async function withFile<T>(name: string, content: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'nftlens-'));
  try {
    const file = join(dir, name);
    await writeFile(file, content, { mode: 0o600 });
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The kernel's ruleset, imported (throws NftlensError if it uses what nftlens does not model). */
export async function listRuleset(opts: NftOptions = {}): Promise<Ruleset> {
  const out = await nft(['-j', 'list', 'ruleset'], opts);
  const file = `nft -j list ruleset${opts.netns ? ` (netns ${opts.netns})` : ''}`;
  return importNftJson(out, file).ruleset;
}
