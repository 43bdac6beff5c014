// `npm run bench:webhook`: what the webhook's analyses cost per admission, against a baseline
// measured in the same run: the decision with every analysis off (Liqo's checks and the checks
// across resources only) vs the full decision (anomalies, conflicts between tenants, isolation
// against two declared tenants), for one provider-protection resource per tenant, N tenants in the
// cluster, the last one under review; then the full decision as the webhook's worker makes it,
// the cluster's resources parsed for an earlier admission (its cache by uid and resourceVersion),
// with its CPU time. Medians of RUNS runs, in-process (no worker thread, no TLS).
// Usage: npm run bench:webhook [-- TENANTS]
import { decide, ResourceCache, type Obj } from '../src/services/webhook/decide.js';
import { parsePolicy } from '../src/services/webhook/policy.js';

const TENANTS = Number(process.argv[2] ?? 20);
const RUNS = 5;

function tenant(i: number): Obj {
  const pods = [1, 2, 3].map((p) => `10.42.${i}.${p}`);
  const rule = (name: string, dev: string, pos: string, ip: string) => ({ name, action: 'accept', match: [{ op: 'eq', dev: { position: dev, value: 'liqo-tunnel' } }, { op: 'eq', ip: { position: pos, value: ip } }] });
  return {
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: { name: `t${i}`, namespace: `liqo-tenant-t${i}`, uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, resourceVersion: String(1000 + i), labels: { 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': `t${i}` } },
    spec: { table: { name: `protect-t${i}`, family: 'IPV4', chains: [{ name: 'pods', type: 'filter', hook: 'forward', priority: i, policy: 'accept', rules: { filterRules: [...pods.map((p) => rule(`to-${p}`, 'in', 'dst', p)), ...pods.map((p) => rule(`from-${p}`, 'out', 'src', p))] } }] } },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

let cpuTimes: number[] = [];
function time(fn: () => void): number {
  const times: number[] = [];
  cpuTimes = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
  }
  return median(times);
}

const cluster = Array.from({ length: TENANTS }, (_, i) => tenant(i + 1));
const object = cluster.at(-1)!;
const input = { operation: 'CREATE', object, others: cluster.slice(0, -1) };
const off = parsePolicy(`checks: { ${['unreachable', 'shadowed', 'redundant', 'correlated', 'generalization', 'tenant-overlap', 'table-clash', 'priority-tie', 'accept-undone', 'isolation'].map((c) => `${c}: off`).join(', ')} }`, 'bench');
const conflictsOnly = parsePolicy(`checks: { ${['unreachable', 'shadowed', 'redundant', 'correlated', 'generalization'].map((c) => `${c}: off`).join(', ')} }`, 'bench');
const anomaliesOnly = parsePolicy(`checks: { ${['tenant-overlap', 'table-clash', 'priority-tie', 'accept-undone'].map((c) => `${c}: off`).join(', ')} }`, 'bench');
const full = parsePolicy('tenants:\n  t1: { sources: [10.201.0.0/16], destinations: [10.42.1.0/24] }\n  t2: { sources: [10.202.0.0/16], destinations: [10.42.2.0/24] }\n', 'bench');
decide(input, off); // warm
const base = time(() => decide(input, off));
const conflicts = time(() => decide(input, conflictsOnly));
const anomalies = time(() => decide(input, anomaliesOnly));
const all = time(() => decide(input, full));
const cache = new ResourceCache();
decide(input, full, { cache }); // the worker's earlier admissions
const cached = time(() => decide(input, full, { cache }));
const cachedCpu = median(cpuTimes);
console.log(`webhook decision, ${TENANTS} resources (${TENANTS * 6} rules), median of ${RUNS}:`);
console.log(`  Liqo's checks + cross-resource only (baseline): ${base.toFixed(1)} ms`);
console.log(`  + the conflicts between resources:              ${conflicts.toFixed(1)} ms  (${(conflicts / base).toFixed(1)}× the baseline)`);
console.log(`  + the rule anomalies:                           ${anomalies.toFixed(1)} ms  (${(anomalies / base).toFixed(1)}× the baseline)`);
console.log(`  + every analysis and isolation:                 ${all.toFixed(1)} ms  (${(all / base).toFixed(1)}× the baseline)`);
console.log(`  the same, the others parsed before (worker):    ${cached.toFixed(1)} ms  (${cachedCpu.toFixed(1)} ms CPU)`);
