/** Function names from System.map text symbols, without compiler suffixes (.isra.0, .constprop.0, .part.0, .cold). */
export function functionNamesFromSystemMap(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const [, type, name] = line.split(' ');
    if (!name || (type !== 't' && type !== 'T')) continue;
    names.add(name.split('.')[0]!);
  }
  return names;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest known names: small edit distance first, then names that contain the query. */
export function closestNames(query: string, names: Iterable<string>, limit = 3): string[] {
  const maxDistance = Math.max(2, Math.floor(query.length / 3));
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of names) {
    const d = editDistance(query, name);
    if (d <= maxDistance) scored.push({ name, score: d });
    else if (query.length >= 4 && name.includes(query))
      scored.push({ name, score: maxDistance + 1 + (name.length - query.length) / 100 });
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

/**
 * A breakpoint written "a|b" for kernels that renamed a function: the
 * first name the kernel's symbols have, else the first (pure).
 */
export function chooseFunction(alternatives: string, names: Set<string>): string {
  const options = alternatives
    .split('|')
    .map((f) => f.trim())
    .filter(Boolean);
  return options.find((f) => names.has(f)) ?? options[0]!;
}
