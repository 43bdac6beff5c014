// A bounded memo for per-packet look-ups that repeat (interface classes, masquerade indexes by
// interface name): a Map cleared when it reaches its limit, so that a stream of ever-new names
// cannot grow it without end.

export class BoundedMemo<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly compute: (key: K) => V,
    private readonly limit = 1 << 16,
  ) {}

  get(key: K): V {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      this.map.set(key, (v = this.compute(key)));
    }
    return v;
  }
}
