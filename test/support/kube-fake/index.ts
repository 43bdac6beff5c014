// A faithful wire-level Kubernetes API server fake for tests (no Kubernetes code in it), proven
// honest with the real kubectl and @kubernetes/client-node (test/support/kube-fake/*.test.ts).
//
// Usage:
//   const api = await startKubeFake();                 // HTTPS on 127.0.0.1, a fresh test CA, one token
//   await api.seed(crdObject, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'liqo' } });
//   const kc = new KubeConfig(); kc.loadFromString(api.kubeconfig());   // or writeKubeconfig() for kubectl
//   api.compact();            // every older resourceVersion now answers 410 Gone (watch, list, continue)
//   await api.restart();      // cuts every connection and watch; the objects stay (etcd survives)
//   api.audit                 // one record per request: verb, resource, namespace, name, user, code…
//   api.objects('networking.liqo.io', 'firewallconfigurations')   // what is stored now
//   await api.close();
//
// Served: discovery (/api, /apis, per group/version; OpenAPI answers 404, which kubectl tolerates),
// namespaces, pods, nodes, services, configmaps, secrets, events, serviceaccounts, leases, CRDs
// (creating one serves its kind, schema-validated, defaulted and pruned), webhook configurations
// (called on create/update over TLS, see admission.ts). Semantics: a global resourceVersion; list
// with resourceVersion/resourceVersionMatch/limit/continue, labelSelector, fieldSelector; watch with
// resourceVersion, allowWatchBookmarks, timeoutSeconds; 409 Conflict on a stale resourceVersion;
// status subresource; generation on spec change only; finalizers and deletionTimestamp; merge,
// JSON and (built-ins only) strategic merge patch; dryRun=All; Status bodies for every error.
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAdmission, type ServiceResolver } from './admission.js';
import { Types } from './resources.js';
import { Rest } from './rest.js';
import { makeHandler, type AuditRecord } from './server.js';
import type { Obj } from './status.js';
import { Store } from './store.js';
import { makeTestCa, type TestCa } from './tls.js';

export type { AuditRecord } from './server.js';
export type { Obj } from './status.js';
export { makeTestCa, type TestCa } from './tls.js';

export interface KubeFakeOptions {
  /** Extra bearer tokens → user names (the default token authenticates "admin"). */
  tokens?: Record<string, string>;
  /** How often a watch that allowed bookmarks gets one (real servers: about a minute). */
  bookmarkIntervalMs?: number;
  /** Where webhook configurations that name a service (not a URL) are reached. */
  resolveService?: ServiceResolver;
  ca?: TestCa;
}

export interface KubeFake {
  url: string;
  port: number;
  /** The CA (PEM) that signed the server's certificate. */
  caCert: string;
  ca: TestCa;
  token: string;
  audit: AuditRecord[];
  store: Store;
  rest: Rest;
  /** A kubeconfig (YAML) for the fake, with the CA and the token. */
  kubeconfig(token?: string): string;
  /** Writes the kubeconfig into a fresh temporary folder; returns its path. */
  writeKubeconfig(token?: string): string;
  /** Creates objects as the admin would (through admission and validation). */
  seed(...objects: Obj[]): Promise<Obj[]>;
  /** What is stored now for a group/resource, in list order. */
  objects(group: string, resource: string): Obj[];
  compact(): void;
  restart(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startKubeFake(options: KubeFakeOptions = {}): Promise<KubeFake> {
  const ca = options.ca ?? makeTestCa('nftlens-fake-apiserver-ca');
  const serving = ca.issue('kube-apiserver', ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);
  const token = `admin-${Math.random().toString(36).slice(2)}`;
  const tokens = new Map<string, string>([[token, 'admin'], ...Object.entries(options.tokens ?? {})]);
  const store = new Store();
  const types = new Types();
  const rest = new Rest(store, types);
  const audit: AuditRecord[] = [];
  rest.admit = makeAdmission(rest, options.resolveService);
  const handler = makeHandler(store, rest, { tokens, audit, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000 });
  for (const name of ['default', 'kube-system', 'kube-public']) {
    await rest.create(types.find('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { dryRun: false, user: 'system' });
  }

  let server: Server;
  const sockets = new Set<Socket>();
  const make = () => {
    server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => void handler(req, res));
    server.on('secureConnection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  };
  make();
  const port = await listen(server!, 0);
  const url = `https://127.0.0.1:${port}`;

  const kubeconfig = (tok = token) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority-data: ${Buffer.from(ca.cert).toString('base64')}`,
      'users:',
      '- name: fake-user',
      '  user:',
      `    token: ${tok}`,
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: fake-user',
      '    namespace: default',
      'current-context: fake',
      '',
    ].join('\n');

  const stop = () =>
    new Promise<void>((resolve) => {
      store.dropWatchers();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      sockets.clear();
    });

  return {
    url,
    port,
    caCert: ca.cert,
    ca,
    token,
    audit,
    store,
    rest,
    kubeconfig,
    writeKubeconfig(tok) {
      const path = join(mkdtempSync(join(tmpdir(), 'nftlens-kubeconfig-')), 'config');
      writeFileSync(path, kubeconfig(tok), { mode: 0o600 });
      return path;
    },
    async seed(...objects) {
      const out: Obj[] = [];
      for (const o of objects) {
        const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion)];
        const t = types.all().find((x) => x.group === group && x.version === version && x.kind === o.kind);
        if (!t) throw new Error(`the fake serves no ${o.apiVersion} ${o.kind}`);
        out.push((await rest.create(t, o.metadata?.namespace ?? '', structuredClone(o), { dryRun: false, user: 'admin' })).object);
      }
      return out;
    },
    objects: (group, resource) => store.list(Types.bucket({ group, resource })),
    compact: () => store.compact(),
    async restart() {
      await stop();
      make();
      await listen(server, port);
    },
    close: stop,
  };
}
