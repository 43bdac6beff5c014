// Throwaway network namespaces for kernel tests, the probe and `apply --netns`. Every namespace
// made here is registered and removed by dispose(), and also when the process exits or gets
// SIGINT/SIGTERM, so a failed or interrupted run leaves nothing behind.

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { exec, execOk } from './exec.js';

const live = new Set<string>();
let hooked = false;

function removeAllSync(): void {
  for (const name of live) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      removeAllSync();
      process.kill(process.pid, sig);
    });
  }
}

export class Netns {
  private constructor(readonly name: string) {}

  /** Creates `nftlens-<prefix>-<random>` with loopback up. */
  static async create(prefix = 'ns'): Promise<Netns> {
    hookExit();
    const name = `nftlens-${prefix}-${randomBytes(4).toString('hex')}`;
    await execOk('ip', ['netns', 'add', name]);
    live.add(name);
    const ns = new Netns(name);
    await ns.run('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  run(file: string, args: readonly string[], input?: string | Buffer): Promise<string> {
    return execOk(file, args, { netns: this.name, input });
  }

  /** `nft ARGS` inside the namespace; returns stdout or throws with nft's message. */
  nft(args: readonly string[], input?: string): Promise<string> {
    return this.run('nft', args, input);
  }

  async dispose(): Promise<void> {
    if (!live.has(this.name)) return;
    live.delete(this.name);
    await exec('ip', ['netns', 'del', this.name]);
  }
}

/** True when this process can make namespaces and run nft (root with iproute2 and nftables). */
export async function kernelAvailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const [bin, args] of [['ip', ['-V']], ['nft', ['--version']]] as const) {
    try {
      const r = await exec(bin, args);
      if (r.code !== 0) return `${bin} does not run`;
    } catch {
      return `${bin} is not installed`;
    }
  }
  return undefined;
}

/** Runs fn with a fresh namespace and always removes it afterwards. */
export async function withNetns<T>(prefix: string, fn: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await Netns.create(prefix);
  try {
    return await fn(ns);
  } finally {
    await ns.dispose();
  }
}
