// Map.getOrInsertComputed (TC39 "upsert", not in Node 20): the value at `key`,
// created by `make` when absent. On hot paths pass a maker defined once, not an
// arrow written at the call: that is a closure allocated per call (a join holds
// up to 100 members, and a storm routes hundreds of thousands of entries).
export function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
