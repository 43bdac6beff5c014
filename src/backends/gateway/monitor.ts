// The kernel's ruleset events, as `nft -j monitor ruleset` prints them (one JSON object a line,
// e.g. `{"delete": {"rule": {"family": "ip", "table": "t", "chain": "c", "handle": 4, …}}}`),
// filtered to the tables the caller watches. Lines of other tables are dropped after a cheap
// parse, so a busy foreign table costs one JSON.parse a line and never wakes the caller.
// The child runs inside the namespace (`ip netns exec NAME nft …`, argument vectors only).

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RulesetEvent {
  /** `add`, `delete`, `replace`, `flush`… as nft names the command. */
  op: string;
  /** `table`, `chain`, `rule`, `set`, `element`… */
  object: string;
  /** `family name` of the table the event belongs to. */
  table: string;
}

/** The event a monitor line describes, or undefined for lines that are not ruleset events. */
export function parseMonitorLine(line: string): RulesetEvent | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const [op, body] = Object.entries(doc as Record<string, unknown>)[0] ?? [];
  if (!op || !body || typeof body !== 'object') return undefined;
  const [object, value] = Object.entries(body as Record<string, unknown>)[0] ?? [];
  if (!object || !value || typeof value !== 'object') return undefined;
  const v = value as { family?: unknown; table?: unknown; name?: unknown };
  const name = object === 'table' ? v.name : v.table;
  if (typeof v.family !== 'string' || typeof name !== 'string') return undefined;
  return { op, object, table: `${v.family} ${name}` };
}

export interface MonitorOptions {
  netns?: string;
  /** `family name` of the tables whose events are passed on. */
  tables: ReadonlySet<string>;
  onEvent: (e: RulesetEvent) => void;
  /** Called for each line dropped (for a metric). */
  onIgnored?: () => void;
  /** Called once if the child ends before stop() (nft died, namespace gone). */
  onExit?: (reason: string) => void;
  /** The nft binary (tests give a fake one). */
  nftPath?: string;
}

export interface MonitorStats {
  /** Events of watched tables passed on. */
  owned: number;
  /** Lines dropped: other tables, or not ruleset events. */
  ignored: number;
}

export class RulesetMonitor {
  readonly stats: MonitorStats = { owned: 0, ignored: 0 };
  private stopping = false;
  private closed: Promise<void>;

  private constructor(private readonly child: ChildProcess, opts: MonitorOptions) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const e = parseMonitorLine(line);
      if (e && opts.tables.has(e.table)) {
        this.stats.owned++;
        opts.onEvent(e);
      } else {
        this.stats.ignored++;
        opts.onIgnored?.();
      }
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    this.closed = new Promise((resolve) => {
      child.on('error', (err) => {
        if (!this.stopping) opts.onExit?.(`cannot run nft monitor: ${err.message}`);
        resolve();
      });
      child.on('close', (code, signal) => {
        if (!this.stopping) opts.onExit?.(`nft monitor ended (${signal ?? `exit ${code}`}): ${stderr.trim()}`);
        resolve();
      });
    });
  }

  static start(opts: MonitorOptions): RulesetMonitor {
    const nft = opts.nftPath ?? 'nft';
    const args = ['-j', 'monitor', 'ruleset'];
    const child = opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, nft, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(nft, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new RulesetMonitor(child, opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Kills the child and waits until it is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.closed;
  }
}
