// Sends crafted frames through the probe topology and reports what came out: tcpdump captures on
// every outside interface (Linux "any", SLL2 framing, which names the interface), tcpreplay injects
// each phase's frames on the far end of their input interface at a bounded rate, and the capture is
// stopped once the gateway has had time to forward the last one.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../backends/netns/exec.js';
import { parseFrame, readPcap, writePcap, type SeenPacket } from './pcap.js';
import type { Topology } from './topology.js';

export interface Injection {
  /** Gateway interface the frame enters by. */
  iif: string;
  frame: Buffer;
}

export interface WireOptions {
  /** Injection rate, packets per second (veth backlogs drop beyond a few thousand in a burst). */
  pps?: number;
  /** How long to wait after the last frame before stopping the capture. */
  settleMs?: number;
}

export interface Arrival extends SeenPacket {
  /** Gateway interface the packet left by. */
  oif: string;
}

/**
 * Injects the phases in order (every frame of a phase before any of the next, e.g. the opening
 * packets of flows before their replies) and returns every IP packet the gateway sent out.
 */
export async function sendAndCapture(topo: Topology, phases: readonly Injection[][], opts: WireOptions = {}): Promise<Arrival[]> {
  const dir = await mkdtemp(join(tmpdir(), 'nftlens-probe-'));
  try {
    const capture = join(dir, 'capture.pcap');
    const dump = await startCapture(topo, capture);
    try {
      for (const [n, phase] of phases.entries()) {
        const byIif = new Map<string, Buffer[]>();
        for (const inj of phase) {
          const list = byIif.get(inj.iif) ?? [];
          list.push(inj.frame);
          byIif.set(inj.iif, list);
        }
        // Interfaces of one phase are independent: replay on all of them at once, sharing the rate.
        const pps = Math.max(1, Math.floor((opts.pps ?? 20000) / byIif.size));
        await Promise.all([...byIif].map(async ([iif, frames]) => {
          const file = join(dir, `phase${n}-${topo.port(iif).peer}.pcap`);
          await writeFile(file, writePcap(frames));
          await replay(topo, topo.port(iif).peer, file, frames.length, pps);
        }));
        // Let the gateway finish this phase (e.g. flow openings) before the next one starts.
        if (n < phases.length - 1) await sleep(20);
      }
      await sleep(opts.settleMs ?? 100);
    } finally {
      await dump.stop();
    }
    const { linktype, frames } = readPcap(await readFile(capture));
    const byIndex = new Map([...topo.ports.values()].map((p) => [p.peerIndex, p.name]));
    const out: Arrival[] = [];
    for (const f of frames) {
      const seen = parseFrame(f, linktype);
      const oif = seen?.ifindex !== undefined ? byIndex.get(seen.ifindex) : undefined;
      if (seen && oif !== undefined) out.push({ ...seen, oif });
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function replay(topo: Topology, dev: string, file: string, count: number, pps: number): Promise<void> {
  const timeoutMs = 10_000 + Math.ceil((count / pps) * 1000) * 3;
  const r = await exec('tcpreplay', ['-q', '-i', dev, `--pps=${pps}`, file], { netns: topo.outside.name, timeoutMs });
  if (r.code !== 0) throw new Error(`tcpreplay on ${dev} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
}

interface Capture {
  stop(): Promise<void>;
}

/** Starts tcpdump in the outside namespace and resolves once it is listening. */
function startCapture(topo: Topology, file: string): Promise<Capture> {
  const child = spawn('ip', ['netns', 'exec', topo.outside.name, 'tcpdump', '-i', 'any', '-n', '-U', '--immediate-mode', '-s', '256', '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump did not start listening: ${stderr.trim()}`));
    }, 10_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited ${code}: ${stderr.trim()}`));
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve({
          async stop() {
            child.kill('SIGINT');
            const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(killer);
          },
        });
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
