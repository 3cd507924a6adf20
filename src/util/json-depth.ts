import { createScanner, type SyntaxKind } from 'jsonc-parser';

/** How deep lab lets a JSON file a person wrote nest: far deeper than any lab file, far short of the stack. */
export const MAX_JSON_DEPTH = 64;

// jsonc-parser's SyntaxKind is a const enum, which a per-file transpiler cannot inline
const OPEN = [1, 3] as SyntaxKind[];
const CLOSE = [2, 4] as SyntaxKind[];
const EOF = 17 as SyntaxKind;

/**
 * The offset where text first nests deeper than max, or undefined (pure).
 * jsonc-parser parses by recursion: 100,000 "[" overflow its stack, so the
 * text is scanned (iteratively, strings and comments skipped) first.
 */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let t = scanner.scan(); t !== EOF; t = scanner.scan()) {
    if (OPEN.includes(t)) {
      depth++;
      if (depth > max) return scanner.getTokenOffset();
    } else if (CLOSE.includes(t)) depth--;
  }
  return undefined;
}
