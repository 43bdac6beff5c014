// Running nft for the applier: argument vectors only, JSON documents through a private temporary
// file (nft 1.0.6 cannot read `-f -` from the pipe Node gives a child), optionally inside a named
// network namespace. Results come back as data (exit code, output) so callers decide what a
// failure means: a check-mode refusal is an answer, not an error.

import { exec, type ExecResult } from '../netns/exec.js';
import { NftlensError } from '../../model/diagnostics.js';
import { withFile } from '../nft/nft.js';

export interface NftRun {
  netns?: string;
  timeoutMs?: number;
}

/** Work for this process to do while nft runs, called once nft's child process has started. */
export type WhileRunning = () => void;

function where(opts: NftRun): string {
  return opts.netns ? ` (netns ${opts.netns})` : '';
}

export async function runNft(args: string[], opts: NftRun): Promise<ExecResult> {
  try {
    return await exec('nft', args, { netns: opts.netns, timeoutMs: opts.timeoutMs ?? 120_000 });
  } catch (e) {
    throw NftlensError.of('NFT_ENV', `cannot run nft: ${e instanceof Error ? e.message : String(e)}`, { file: `nft${where(opts)}` });
  }
}

/** Runs `nft -j -f` (or `nft -c -j -f` when check) on a batch (JSON commands, `list` ones too); the result tells whether nft took it. */
export function runBatch(commands: object[], opts: NftRun & { check?: boolean; whileRunning?: WhileRunning }): Promise<ExecResult> {
  return runTexts(commands.map((c) => JSON.stringify(c)), opts);
}

/**
 * runBatch of commands already serialised, one JSON text each. whileRunning is called as soon as
 * nft has been started (the batch file is written asynchronously first), so that this process's
 * own work overlaps nft's instead of delaying its start.
 */
export async function runTexts(texts: readonly string[], opts: NftRun & { check?: boolean; whileRunning?: WhileRunning }): Promise<ExecResult> {
  const doc = `{"nftables":[{"metainfo":{"json_schema_version":1}}${texts.length ? ',' : ''}${texts.join(',')}]}`;
  return withFile('batch.json', doc, (file) => {
    const running = runNft(opts.check ? ['-c', '-j', '-f', file] : ['-j', '-f', file], opts); // spawns before it returns
    opts.whileRunning?.();
    return running;
  });
}
