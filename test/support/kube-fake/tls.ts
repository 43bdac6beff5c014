// A throwaway certificate authority and server certificates for tests (openssl, fixed arguments,
// in a temporary folder): the fake API server's and the webhook's serving certificates, with
// 127.0.0.1/localhost (and any DNS names asked) as subject alternative names.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  cert: string;
  key: string;
  /** A serving certificate signed by this CA for 127.0.0.1, localhost and `dnsNames`. */
  issue(commonName: string, dnsNames?: string[]): { cert: string; key: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCa(name = 'nftlens-test-ca'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'nftlens-ca-'));
  try {
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name}`]);
    const ca = { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
    return { ...ca, issue: (cn, dns = []) => issue(ca, cn, dns) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function issue(ca: { cert: string; key: string }, commonName: string, dnsNames: string[]): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nftlens-cert-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key, { mode: 0o600 });
    const san = ['IP:127.0.0.1', 'DNS:localhost', ...dnsNames.map((d) => `DNS:${d}`)].join(',');
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', `/CN=${commonName}`]);
    openssl(dir, ['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf']);
    return { cert: readFileSync(join(dir, 'srv.crt'), 'utf8'), key: readFileSync(join(dir, 'srv.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
