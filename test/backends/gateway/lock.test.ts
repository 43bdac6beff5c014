// The writers' lock: holders run one at a time; a holder killed with SIGKILL frees it at once
// (the kernel drops its abstract socket); a wait that outlasts its limit is GATEWAY_LOCK.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lockName, withLock } from '../../../src/backends/gateway/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withLock', () => {
  it('serialises holders of the same namespace, not of different ones', async () => {
    const events: string[] = [];
    const hold = (ns: string, tag: string) => withLock('test-serial', ns, async () => {
      events.push(`${tag}+`);
      await sleep(150);
      events.push(`${tag}-`);
    });
    await Promise.all([hold('n1', 'a'), hold('n1', 'b'), hold('n1', 'c')]);
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i]!.replace('+', '-'));
    const t0 = Date.now();
    await Promise.all([hold('n2', 'x'), hold('n3', 'y')]);
    expect(Date.now() - t0).toBeLessThan(290);
  });

  it('is freed at once when its holder is SIGKILLed', async () => {
    const name = lockName('test-kill', 'n1').slice(1); // argv cannot carry the leading NUL
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen({path: '\\0' + process.argv[1]}, () => console.log('held'))`, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    await expect(withLock('test-kill', 'n1', async () => 'got', 300)).rejects.toMatchObject({ code: 'GATEWAY_LOCK' });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await withLock('test-kill', 'n1', async () => 'got', 2000)).toBe('got');
  });
});
