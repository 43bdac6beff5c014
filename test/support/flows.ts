// Reads a flow file (or text written to a temporary file) through the flow readers, for tests:
// every flow's first packet in text (as `nftlens eval -p` reads it), its counts and where it was.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { formatPacket } from '../../src/engine/packet.js';
import { openFlows, type FlowFormat } from '../../src/frontends/flows/index.js';

export interface ReadFlow {
  packet: string;
  packets: number;
  bytes: number;
  at: number;
}

const dir = mkdtempSync(join(tmpdir(), 'nftlens-flowtest-'));
let n = 0;

/** A temporary file holding `content`. */
export function tempFile(content: string | Buffer, name = `f${n++}`): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

export async function readFlows(file: string, format: FlowFormat | 'auto' = 'auto'): Promise<{ format?: FlowFormat; flows: ReadFlow[] }> {
  const src = await openFlows(file, format, Readable.from([]));
  const flows: ReadFlow[] = [];
  for await (const b of src.batches()) {
    for (let i = 0; i < b.n; i++) flows.push({ packet: formatPacket(b.packet(i, false)), packets: b.packets[i]!, bytes: b.bytes[i]!, at: b.at[i]! });
  }
  return { format: src.format, flows };
}

/** The located error a read ends with (its one formatted diagnostic), or 'no error'. */
export async function readError(file: string, format: FlowFormat | 'auto' = 'auto'): Promise<string> {
  try {
    await readFlows(file, format);
    return 'no error';
  } catch (e) {
    const d = (e as { diagnostics?: { code: string; message: string; origin: object }[] }).diagnostics;
    if (!d) throw e;
    return `${d[0]!.code} ${JSON.stringify(d[0]!.origin)} ${d[0]!.message}`;
  }
}
