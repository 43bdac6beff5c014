// `npm run bench:input`: bulk input at the scale Liqo generates — TENANTS FirewallConfigurations of
// RULES rules each (per-tenant table and chain; rules matching iifname/oifname + ip saddr/daddr, a
// third with proto and port), one file per tenant in a temp folder. Times `nftlens --help`,
// `validate` and `eval -p …` as fresh processes (as a user runs them), median of RUNS, beside a
// same-run baseline: a fresh Node process that only parses the same files with the `yaml` library;
// with BEFORE, also against another build's same three runs (CPU × before).
// Writes bench/results/bulk-input.md. Needs `npm run build` (runs bin/nftlens.js).
// Usage: npm run bench:input   (TENANTS=100 RULES=100 RUNS=5; BEFORE=other/bin/nftlens.js adds its rows)

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TENANTS = Number(process.env.TENANTS ?? 100);
const RULES = Number(process.env.RULES ?? 100);
const RUNS = Number(process.env.RUNS ?? 5);
const BIN = fileURLToPath(new URL('../bin/nftlens.js', import.meta.url));
const BEFORE = process.env.BEFORE;
const PACKET = 'tcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif liqo.abcdefghij ct new';

/** One tenant's FirewallConfiguration, written as Liqo writes them (block YAML). */
export function tenantYaml(t: number, rules: number): string {
  const lines = [
    'apiVersion: networking.liqo.io/v1beta1',
    'kind: FirewallConfiguration',
    'metadata:',
    `  name: tenant-${t}-gateway`,
    `  namespace: liqo-tenant-${t}`,
    '  labels:',
    '    networking.liqo.io/firewall-category: gateway',
    'spec:',
    '  table:',
    `    name: tenant-${t}`,
    '    family: IPV4',
    '    chains:',
    `      - name: tenant-${t}-forward`,
    '        type: filter',
    '        hook: forward',
    '        priority: 0',
    '        policy: drop',
    '        rules:',
    '          filterRules:',
  ];
  for (let r = 0; r < rules; r++) {
    const host = `10.${(t >> 8) & 255}.${t & 255}.${r & 255}`;
    lines.push(
      `            - name: rule-${t}-${r}`,
      '              counter: true',
      '              action: accept',
      '              match:',
      '                - op: eq',
      '                  dev:',
      `                    position: ${r % 2 ? 'in' : 'out'}`,
      `                    value: liqo.tenant${t}`,
      '                - op: eq',
      '                  ip:',
      `                    position: ${r % 2 ? 'src' : 'dst'}`,
      `                    value: ${host}`,
    );
    if (r % 3 === 0) {
      lines.push(
        '                - op: eq',
        '                  proto:',
        '                    value: tcp',
        '                - op: eq',
        '                  port:',
        '                    position: dst',
        `                    value: "${1000 + r}"`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** Wall and CPU (user + system) time of one fresh process, ms; bash's `time` reads the child's rusage. */
function timeMs(args: string[]): { wall: number; cpu: number } {
  const t0 = performance.now();
  let out: string;
  try {
    const script = 'TIMEFORMAT="%3U %3S"; { time "$@" >/dev/null 2>/dev/null; } 2>&1';
    out = execFileSync('bash', ['-c', script, 'bash', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  } catch (e) {
    const { status } = e as { status?: number };
    throw new Error(`${args.slice(0, 3).join(' ')} … exited ${status}`); // a broken run, not a sample
  }
  const [user, sys] = out.trim().split(/\s+/).slice(-2).map(Number);
  return { wall: performance.now() - t0, cpu: (user! + sys!) * 1000 };
}

function median(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'nftlens-bulk-'));
  try {
    for (let t = 0; t < TENANTS; t++) writeFileSync(join(dir, `tenant-${String(t).padStart(3, '0')}.yaml`), tenantYaml(t, RULES));
    const parseOnly = `import{readdirSync,readFileSync}from'node:fs';import{parseAllDocuments}from'yaml';const d=${JSON.stringify(dir)};for(const f of readdirSync(d))for(const doc of parseAllDocuments(readFileSync(d+'/'+f,'utf8')))doc.toJS();`;
    const cases: [string, string[]][] = [
      ['node: start only', ['-e', '0']],
      ['yaml: parseAllDocuments + toJS of the files', ['--input-type=module', '-e', parseOnly]],
      ['nftlens --help (every command registered)', [BIN, '--help']],
      ['nftlens validate', [BIN, 'validate', '-f', dir]],
      ['nftlens eval -p (one packet)', [BIN, 'eval', '-f', dir, '-p', PACKET]],
      // BEFORE=…/bin/nftlens.js: the same two runs of another build (the code before a change).
      ...(BEFORE ? [
        ['before: nftlens --help', [BEFORE, '--help']],
        ['before: nftlens validate', [BEFORE, 'validate', '-f', dir]],
        ['before: nftlens eval -p', [BEFORE, 'eval', '-f', dir, '-p', PACKET]],
      ] as [string, string[]][] : []),
    ];
    const load = loadavg().map((x) => x.toFixed(2)).join(' ');
    const samples = cases.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    // Interleaved, so that a change of machine load touches every case alike.
    for (let i = 0; i < RUNS; i++) {
      cases.forEach(([, args], c) => {
        const t = timeMs(args);
        samples[c]!.wall.push(t.wall);
        samples[c]!.cpu.push(t.cpu);
      });
    }
    const wall = samples.map((s) => median(s.wall));
    const cpu = samples.map((s) => median(s.cpu));
    const ms = (s: { median: number; min: number; max: number }) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
    const md = [
      `# Bulk input: ${TENANTS} FirewallConfigurations × ${RULES} rules, fresh processes`,
      '',
      `Command: \`npm run bench:input\` — ${new Date().toISOString().slice(0, 16)}Z, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, load average at start ${load}.`,
      `A fresh process each, median (range) of ${RUNS}, ms: CPU time (user + system, what the process itself costs) and wall time`,
      '(which a loaded machine stretches); ratios of CPU time against plain `yaml` parsing of the same files in the same run.',
      '',
      `| run | CPU ms | wall ms | CPU × yaml parse |${BEFORE ? ' CPU × before |' : ''}`,
      `|---|---:|---:|---:|${BEFORE ? '---:|' : ''}`,
      ...cases.map(([name], c) => {
        // The three nftlens runs (cases 2–4) against the same runs of the BEFORE build (cases 5–7).
        const vsBefore = !BEFORE ? '' : c >= 2 && c <= 4 ? ` ${(cpu[c]!.median / cpu[c + 3]!.median).toFixed(2)} |` : ' |';
        return `| ${name} | ${ms(cpu[c]!)} | ${ms(wall[c]!)} | ${(cpu[c]!.median / cpu[1]!.median).toFixed(2)} |${vsBefore}`;
      }),
      '',
    ].join('\n');
    process.stdout.write(`${md}\n`);
    const out = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'bulk-input.md'), md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
