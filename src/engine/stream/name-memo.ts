// A bounded memo of per-interface-name answers (interface classes, masquerade indexes) for the
// batch paths: names repeat from packet to packet, and each answer is a call into the classifier.
// Emptied when full, so hostile input with ever new names cannot grow it without bound.

export class NameMemo {
  private readonly map = new Map<string, number>();
  constructor(private readonly make: (name: string) => number, private readonly limit = 1 << 16) {}

  get(name: string): number {
    let v = this.map.get(name);
    if (v === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      this.map.set(name, (v = this.make(name)));
    }
    return v;
  }
}
