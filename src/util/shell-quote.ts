/** Characters a POSIX shell leaves as they are: no quote, space, glob, tilde, $, backslash or operator. */
const PLAIN = /^[\w@%+=:,./-]+$/;

/** A word sh reads as itself, unquoted (not empty). */
export function isPlainShellWord(word: string): boolean {
  return word !== '' && PLAIN.test(word);
}

/** The word as sh reads it back whatever it holds: as it is when plain, else in single quotes. */
export function shellQuote(word: string): string {
  return isPlainShellWord(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
