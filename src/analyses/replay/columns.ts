// Flows into a classifier's batch columns: each flow's first packet (ct new, as conntrack first
// sees it) written straight from the flow batch's columns into WebAssembly memory, with the
// classifier's own interface classes and masquerade indexes (each compiled ruleset has its own),
// so one batch call classifies them all. Flows without interfaces take --iif/--oif; a flow from
// one of the --local addresses is locally generated (output → postrouting); one to such an
// address goes to input (the classifier was compiled with them as its local addresses).

import type { Classifier } from '../../engine/classifier.js';
import * as L from '../../engine/layout.js';
import { BoundedMemo } from '../../engine/memo.js';
import type { FlowBatch } from '../../frontends/flows/batch.js';
import { CT_STATE } from '../../model/values.js';

export interface FlowDefaults {
  iif: string;
  oif: string;
  /** IPv4 local addresses as words, IPv6 as their words joined by ':'. */
  local4: ReadonlySet<number>;
  local6: ReadonlySet<string>;
}

export class ColumnWriter {
  private readonly classes: BoundedMemo<string, number>;
  private readonly masq4: BoundedMemo<string, number>;
  private readonly masq6: BoundedMemo<string, number>;

  constructor(
    readonly classifier: Classifier,
    private readonly d: FlowDefaults,
  ) {
    this.classes = new BoundedMemo((name) => classifier.interfaceClass(name));
    this.masq4 = new BoundedMemo((oif) => classifier.masqueradeIndex(4, oif));
    this.masq6 = new BoundedMemo((oif) => classifier.masqueradeIndex(6, oif));
  }

  /** Writes flows start … start+n−1 of the batch into rows 0 … n−1. */
  write(b: FlowBatch, start: number, n: number): void {
    const c = this.classifier.columns;
    const NEW = CT_STATE.new!;
    const [nfproto, l4proto, sport, dport, iifc, oifc, ctstate, mark, ctmark, flags, len, localc, hook, masqc] = [
      L.K_NFPROTO, L.K_L4PROTO, L.K_SPORT, L.K_DPORT, L.K_IIF, L.K_OIF, L.K_CTSTATE, L.K_MARK, L.K_CTMARK, L.K_FLAGS, L.B_LEN, L.B_LOCAL, L.B_HOOK, L.B_MASQ,
    ].map((k) => c[k]!) as Uint32Array[];
    const [s0, s1, s2, s3, d0, d1, d2, d3] = [0, 1, 2, 3, 4, 5, 6, 7].map((w) => c[w < 4 ? L.K_SADDR + w : L.K_DADDR + w - 4]!) as Uint32Array[];
    let lastIif: string | undefined;
    let lastOif: string | undefined;
    let lastV4 = false;
    let iifClass = 0;
    let oifClass = 0;
    let masq = 0;
    for (let i = 0; i < n; i++) {
      const f = start + i;
      const v4 = b.family[f] === 4;
      nfproto[i] = v4 ? 2 : 10;
      s0[i] = b.saddr[f * 4]!;
      s1[i] = b.saddr[f * 4 + 1]!;
      s2[i] = b.saddr[f * 4 + 2]!;
      s3[i] = b.saddr[f * 4 + 3]!;
      d0[i] = b.daddr[f * 4]!;
      d1[i] = b.daddr[f * 4 + 1]!;
      d2[i] = b.daddr[f * 4 + 2]!;
      d3[i] = b.daddr[f * 4 + 3]!;
      l4proto[i] = b.l4proto[f]!;
      sport[i] = b.sport[f]!;
      dport[i] = b.dport[f]!;
      const iif = b.iifname[f] || this.d.iif;
      const oif = b.oifname[f] || this.d.oif;
      // Most flows name the interfaces of the flow before (or none): no look-up for them.
      if (iif !== lastIif) {
        lastIif = iif;
        iifClass = this.classes.get(iif);
      }
      if (oif !== lastOif || v4 !== lastV4) {
        lastOif = oif;
        lastV4 = v4;
        oifClass = this.classes.get(oif);
        masq = (v4 ? this.masq4 : this.masq6).get(oif);
      }
      iifc[i] = iifClass;
      oifc[i] = oifClass;
      ctstate[i] = NEW;
      mark[i] = b.mark[f]!;
      ctmark[i] = 0;
      flags[i] = b.tcpFlags[f]!;
      len[i] = b.length[f]!;
      localc[i] = this.isLocal(b, f) ? L.LOCAL_GENERATED : 0;
      hook[i] = 0;
      masqc[i] = masq;
    }
  }

  /** Whether flow f comes from one of the local addresses. */
  isLocal(b: FlowBatch, f: number): boolean {
    if (b.family[f] === 4) return this.d.local4.size > 0 && this.d.local4.has(b.saddr[f * 4]!);
    return this.d.local6.size > 0 && this.d.local6.has(b.saddr.subarray(f * 4, f * 4 + 4).join(':'));
  }
}
