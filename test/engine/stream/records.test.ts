// Binary packet records decoded into the batch columns: for random rulesets (NAT of every kind,
// masquerade with interface addresses) and random packets of both IP versions, every input column
// a record fills, and the verdict, rule and chain the batch gives, equal what the classifier's
// own writePacket gives for the same packet — over several batches of the classifier's capacity,
// the whole path or one hook. A broken record is refused with its index and field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../../src/engine/index.js';
import * as L from '../../../src/engine/layout.js';
import type { PathHook } from '../../../src/engine/plan.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { RECORD, RECORD_BYTES, RecordBatch, encodeRecords } from '../../../src/engine/stream/records.js';
import { prng } from '../../../src/model/prng.js';
import { ENV, randomPackets, rulesetArb } from '../generators.js';

const CAPACITY = 64;
const ROW = [...Array.from({ length: L.B_MASQ + 1 }, (_, k) => k), L.B_VERDICT, L.B_RULE, L.B_CHAIN].filter((k) => k !== L.K_HASCT);

/** Per row, the input columns and the verdict, rule and chain. */
const rows = (cols: Uint32Array[], n: number) => Array.from({ length: n }, (_, i) => ROW.map((k) => cols[k]![i]!));

describe('RecordBatch', () => {
  it('fills the columns as writePacket does and classifies alike', () => {
    fc.assert(
      fc.property(rulesetArb, fc.integer(), fc.constantFrom(undefined, 'prerouting', 'forward', 'postrouting' as const), (rs, seed, hook?: PathHook) => {
        const pkts = randomPackets(seed, 3 * CAPACITY + 7);
        const byRecord = compileRuleset(rs, { ...ENV, batchCapacity: CAPACITY });
        const got: number[][] = [];
        const batch = new RecordBatch(byRecord, hook, 'body', (start, k) => {
          expect(start).toBe(got.length);
          got.push(...rows(byRecord.columns, k));
        });
        // The body as it may come off a socket: cut anywhere, records split between pushes.
        const bytes = encodeRecords(pkts);
        const r = prng(seed);
        for (let at = 0; at < bytes.length;) {
          const n = Math.min(bytes.length - at, Math.floor(r() * 3 * RECORD_BYTES * CAPACITY / 2) + 1);
          batch.push(bytes.subarray(at, at + n));
          at += n;
        }
        expect(batch.end()).toBe(pkts.length);
        const ref = compileRuleset(rs, { ...ENV, batchCapacity: CAPACITY });
        const want: number[][] = [];
        for (let start = 0; start < pkts.length; start += CAPACITY) {
          const k = Math.min(CAPACITY, pkts.length - start);
          for (let i = 0; i < k; i++) ref.writePacket(i, pkts[start + i]!, hook);
          ref.runBatch(k);
          want.push(...rows(ref.columns, k));
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 40 },
    );
  });

  it('reads records at any byte offset', () => {
    const pkts = randomPackets(7, 100);
    const c = compileRuleset({ tables: [] }, { ...ENV, batchCapacity: CAPACITY });
    const bytes = encodeRecords(pkts);
    const shifted = Buffer.alloc(bytes.length + 3).subarray(3);
    bytes.copy(shifted);
    const a: number[][] = [];
    const b: number[][] = [];
    new RecordBatch(c, undefined, 'body', (_s, k) => a.push(...rows(c.columns, k))).run(bytes);
    new RecordBatch(c, undefined, 'body', (_s, k) => b.push(...rows(c.columns, k))).run(shifted);
    expect(b).toEqual(a);
  });

  it('refuses a body that ends inside a record', () => {
    const c = compileRuleset({ tables: [] }, { ...ENV, batchCapacity: CAPACITY });
    const bytes = encodeRecords(randomPackets(5, 3));
    const batch = new RecordBatch(c, undefined, 'body', () => undefined);
    batch.push(bytes.subarray(0, 100));
    batch.push(bytes.subarray(100, 2 * RECORD_BYTES + 5));
    expect(() => batch.end()).toThrow(/ends inside record 2 \(5 of its 84 bytes\)/);
  });

  it('refuses a broken record with its index and field', () => {
    const c = compileRuleset({ tables: [] }, { ...ENV, batchCapacity: CAPACITY });
    const good = encodeRecords(randomPackets(3, 100).map((p) => ({ ...p, family: 4 as const, saddr: '10.0.0.1', daddr: '10.0.0.2' })));
    const cases: [number, number, string][] = [
      [RECORD.family, 0, 'family'], [RECORD.local, 7, 'local'], [RECORD.ctState, 16, 'ctState'],
      [RECORD.daddr + 12, 1, 'daddr'], [RECORD.iifname + 15, 0x61, 'iifname'], [RECORD.oifname, 0xff, 'oifname'],
    ];
    for (const [offset, value, field] of cases) {
      const b = Buffer.from(good);
      b[70 * RECORD_BYTES + offset] = value;
      let seen = 0;
      try {
        new RecordBatch(c, undefined, 'body', (_s, k) => (seen += k)).run(b);
        expect.unreachable(field);
      } catch (e) {
        expect(e, field).toBeInstanceOf(NftlensError);
        expect((e as NftlensError).diagnostics[0]!.origin, field).toEqual({ file: 'body', field: `records[70].${field}` });
      }
      expect(seen, field).toBe(CAPACITY);
    }
  });
});
