// One nftlens writer at a time per network namespace. The lock is kernel-backed: the holder
// binds an abstract unix socket named after the owner and the namespace. The kernel frees the
// name whenever the holder's process ends, SIGKILL included, so there is no stale lock file to
// clean up or to time out (unlike a lock file or directory, e.g. proper-lockfile's, which a killed
// writer leaves behind until it is judged stale). The abstract socket namespace belongs to the
// network namespace nftlens itself runs in: processes on one host (or in one pod) see each other.
// Other writers (kube-proxy, an operator's `nft`) take no lock: see README, apply / verify.

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { NftlensError } from '../../model/diagnostics.js';

export function lockName(owner: string, netns: string | undefined): string {
  const ns = createHash('sha256').update(netns ?? '').digest('hex').slice(0, 32);
  return `\0nftlens/lock/${owner}/${ns}`;
}

function tryBind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen({ path: name, exclusive: true }, () => resolve(server));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs fn holding the lock; waits (with backoff) up to timeoutMs for another holder. */
export async function withLock<T>(owner: string, netns: string | undefined, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const name = lockName(owner, netns);
  const deadline = Date.now() + timeoutMs;
  let wait = 10;
  let server = await tryBind(name);
  while (!server) {
    if (Date.now() >= deadline) {
      throw NftlensError.of('GATEWAY_LOCK', `another nftlens writer has held the lock of ${netns ? `netns ${netns}` : 'this host'} for over ${Math.round(timeoutMs / 1000)} s; nothing was written`, {});
    }
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    wait = Math.min(wait * 2, 500);
    server = await tryBind(name);
  }
  server.unref();
  try {
    return await fn();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}
