// The real kubectl, run against a kubeconfig (the fake API server's): tests that drive it skip with
// the reason where kubectl is not installed — except in CI (CI=true), where that is a failure.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
if (!KUBECTL && process.env.CI) throw new Error('kubectl is missing: CI installs it (scripts/system-deps.sh)');
if (!KUBECTL) console.warn('skipping kubectl tests: kubectl is not installed (apt-get install kubectl)');

/** Pass to `describe.skipIf(noKubectl)`. */
export const noKubectl = KUBECTL === undefined;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with the arguments given (never through a shell), optionally feeding stdin. */
export function kubectl(kubeconfig: string, args: string[], input?: string, env: Record<string, string> = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL!, args, { env: { ...process.env, KUBECONFIG: kubeconfig, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

/** Starts a long-running kubectl (a watch); its output accumulates in `out()`. */
export function kubectlStream(kubeconfig: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(KUBECTL!, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return { child, out: () => text };
}
