/**
 * The child of `parent` found under `key`, made (and appended to its children)
 * the first time: how a tree merges paths that share a prefix. `index` holds
 * each parent's children by key, so a wide node costs no linear search.
 */
export function childOf<T extends { children: T[] }>(
  parent: T,
  index: Map<T, Map<string, T>>,
  key: string,
  make: () => T,
): T {
  let byKey = index.get(parent);
  if (!byKey) index.set(parent, (byKey = new Map<string, T>()));
  let node = byKey.get(key);
  if (!node) {
    node = make();
    byKey.set(key, node);
    parent.children.push(node);
  }
  return node;
}
