// Runs a program with an argument vector (never a shell, never a spliced string), optionally
// inside a named network namespace, feeding stdin and collecting stdout/stderr.

import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Run inside this network namespace (`ip netns exec NAME …`). */
  netns?: string;
  input?: string | Buffer;
  timeoutMs?: number;
}

export function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const argv = opts.netns ? ['netns', 'exec', opts.netns, file, ...args] : [...args];
  const bin = opts.netns ? 'ip' : file;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading everything
    child.stdin.end(opts.input ?? '');
  });
}

/** Like exec, but a non-zero exit becomes an Error carrying the command and its stderr. */
export async function execOk(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await exec(file, args, opts);
  if (r.code !== 0) {
    const where = opts.netns ? ` (netns ${opts.netns})` : '';
    throw new Error(`${file} ${args.join(' ')}${where} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}
