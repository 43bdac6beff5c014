// The streaming eval's byte writer and row formatter against the per-packet formatters: numbers,
// addresses and hex written digit by digit as String() gives them, and random IPv4 rows (marks,
// flags, lengths up to 2^32 - 1, local, every ct state, a packet after whose ct state differs,
// interface names JSON and terminals must escape) written from the columns byte for byte as
// JSON.stringify(resultJson(…), null, 2) and formatPacket/formatResult give them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset, formatPacket, formatResult, type Packet } from '../../../src/engine/index.js';
import { ip4Text } from '../../../src/engine/addr.js';
import * as L from '../../../src/engine/layout.js';
import { ByteOut } from '../../../src/engine/stream/byte-out.js';
import { RowFormatter, resultJson } from '../../../src/engine/stream/format.js';
import { loadRuleset } from '../../../src/frontends/load.js';
import { CT_STATE, type CtState } from '../../../src/model/values.js';
import { terminalSafe } from '../../../src/model/terminal.js';

const multi = new URL('../../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const u32 = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(9, 10, 99, 100, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 0xffffffff));

describe('ByteOut', () => {
  it('writes numbers, IPv4 words and hex as String() and ip4Text do, growing as needed', () => {
    fc.assert(
      fc.property(fc.array(u32, { maxLength: 200 }), (ns) => {
        const o = new ByteOut(16);
        let want = '';
        for (const n of ns) {
          o.uint(n);
          o.bytes(Buffer.from(' '));
          o.ip4(n);
          o.text(' ');
          o.hex(n);
          want += `${n} ${ip4Text(n)} 0x${n.toString(16)}`;
        }
        expect(o.take().toString()).toBe(want);
      }),
    );
  });
});

describe('RowFormatter', () => {
  const ctStates = Object.keys(CT_STATE) as CtState[];
  const name = fc.constantFrom('', 'eth0', 'liqo-tunnel', 'liqo.abcdefghij', 'a"b\\c', 'e\u001b[2K', 'é');
  const packet = fc.record({
    saddr: u32, daddr: fc.constantFrom(0x0a2a010f, 0x0a2a0315, 0x0a2a0000, 0xc0000201), l4proto: fc.constantFrom(6, 17, 1, 47), sport: fc.integer({ min: 0, max: 65535 }),
    dport: fc.constantFrom(53, 80, 0, 65535), iifname: name, oifname: name, ctState: fc.constantFrom(...ctStates), mark: fc.oneof(fc.constant(0), u32),
    ctMark: fc.oneof(fc.constant(0), u32), tcpFlags: fc.integer({ min: 0, max: 255 }), length: fc.oneof(fc.constantFrom(20, 28, 40, 1500), u32), local: fc.boolean(),
    after: fc.option(fc.constantFrom(...ctStates)),
  });

  it('gives, from the columns, the per-packet formatters\' bytes (JSON and text)', async () => {
    const { ruleset } = await loadRuleset([multi]);
    const c = compileRuleset(ruleset);
    const f = new RowFormatter(c.plan, c.columns);
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 50 }), (rows) => {
        const packets: Packet[] = rows.map((r) => ({
          family: 4, saddr: ip4Text(r.saddr), daddr: ip4Text(r.daddr), l4proto: r.l4proto, sport: r.sport, dport: r.dport, iifname: r.iifname,
          oifname: r.oifname, ctState: r.ctState, mark: r.mark, ctMark: r.ctMark, tcpFlags: r.tcpFlags, length: r.length, local: r.local,
        }));
        packets.forEach((p, i) => c.writePacket(i, p));
        c.runBatch(packets.length);
        packets.forEach((p, i) => {
          if (c.columns[L.B_OUT_PATH]![i]! & L.PATH_REWRITTEN) return;
          // A packet after with another ct state (as a ct statement could leave it).
          const after = rows[i]!.after;
          if (after) c.columns[L.B_OUT_CTSTATE]![i] = CT_STATE[after]!;
          const r = c.readResult(i, p);
          for (const json of [true, false]) {
            const o = new ByteOut(64);
            f.row(i, p.iifname, p.oifname, json, o);
            const want = json
              ? '  ' + JSON.stringify(resultJson(c.plan, p, r), null, 2).replace(/\n/g, '\n  ')
              : `packet: ${formatPacket(p)}\n${formatResult(c.plan, r)}`;
            expect(o.take().toString()).toBe(terminalSafe(want));
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});
