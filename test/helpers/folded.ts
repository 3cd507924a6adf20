/** Distinct call-path prefixes of collapsed stacks: the frames a flame graph of them draws, its root aside. */
export function foldedFrames(folded: string): number {
  const prefixes = new Set<string>();
  for (const line of folded.trim().split('\n')) {
    const names = line.slice(0, line.lastIndexOf(' ')).split(';');
    names.forEach((_, i) => prefixes.add(names.slice(0, i + 1).join(';')));
  }
  return prefixes.size;
}
