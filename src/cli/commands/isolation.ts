// `nftlens isolation`: proves that no tenant's traffic reaches another tenant's destinations on
// the forward path, or shows each breach with a witness packet and the rules that accept it.
// Tenants come from --tenants FILE (default: examples/tenants, for the embedded examples); the
// result as text, JSON or an SVG reachability matrix. Exit code 1 on a breach. --connections adds
// the connection relation (can A open a connection to B) with a witness flow per pair.

import { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NftlensError } from '../../model/diagnostics.js';
import { EXAMPLES_DIR } from '../../frontends/load.js';
import type { Tenant } from '../../analyses/isolation.js';
import { loadInput, print, withInput, withLocal, withOutput, writeData, type InputOptions, hostEnvironment, type HostOptions } from '../options.js';
import { ExitCode, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface IsolationOpts extends InputOptions, HostOptions {
  output: OutputFormat | 'svg';
  tenants?: string;
  svg?: string;
  connections?: boolean;
}

/** The tenants file (default: the embedded examples' tenants), parsed; errors name the file. */
export async function readTenants(path?: string): Promise<Tenant[]> {
  const file = path ?? join(EXAMPLES_DIR, 'tenants');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw NftlensError.of('INPUT_READ', `cannot read the tenants file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  const { parseTenants } = await import('../../analyses/isolation.js');
  return parseTenants(text, path ?? 'examples/tenants');
}

export const registerIsolation: Register = (program, ctx) => {
  const cmd = new Command('isolation')
    .description('prove tenants cannot reach each other on the forward path, or show each breach with a witness (exit 1 on a breach)')
    .option('--tenants <file>', 'tenants: name → sources, destinations, interfaces (default: examples/tenants)')
    .option('--svg <file>', 'also write the reachability matrix as SVG to this file')
    .option('--connections', 'also say whether each tenant can open a connection to another (first packet and reply accepted), with a witness flow');
  withOutput(withLocal(withInput(cmd)), ['text', 'json', 'svg' as OutputFormat], 'text').action(async (opts: IsolationOpts) => {
    // The analyses load on use, so that other commands (and --help) start without them.
    const [{ checkIsolation }, { isolationSvg }, { formatIsolation, isolationJson }] = await Promise.all([
      import('../../analyses/isolation.js'),
      import('../../analyses/matrix-svg.js'),
      import('../../analyses/report.js'),
    ]);
    const tenants = await readTenants(opts.tenants);
    const loaded = await loadInput(opts, ctx);
    const r = checkIsolation(loaded.ruleset, tenants, { ...hostEnvironment(opts), connections: opts.connections });
    if (opts.svg) await writeFile(opts.svg, isolationSvg(r));
    if (opts.output === 'svg') print(ctx, isolationSvg(r));
    else writeData(ctx, opts.output, isolationJson(r), () => formatIsolation(r));
    if (!r.isolated) throw new ExitCode(1);
  });
  program.addCommand(cmd);
};
