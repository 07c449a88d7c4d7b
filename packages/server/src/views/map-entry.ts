// Map.getOrInsertComputed (TC39 "upsert", not in Node 20): the value at `key`,
// created by `make` when absent.
export function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
