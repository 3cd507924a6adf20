/**
 * Text someone else wrote (a bundle's student name, a run's breakpoint or
 * verdict, an entry name), made safe to print (pure): every character a
 * terminal acts on instead of showing is shown escaped, so a field can never
 * set the title, clear the screen, write the clipboard (OSC 52), move the
 * cursor to redraw a row or start a fake one; and it is capped in length.
 */

/** What one printed field holds at most, in characters, before "…". */
export const FIELD_MAX = 200;

/**
 * C0 controls (with \n, \r, \t and ESC), DEL, C1 controls (U+0080–U+009F: 0x9B
 * is a CSI), the bidi embeddings, overrides and isolates that reorder what
 * follows (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C), the line
 * and paragraph separators, and lone surrogates (no character at all).
 */
function unsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    (code >= 0xd800 && code <= 0xdfff)
  );
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escaped(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch.length !== 1 || !unsafe(code)) return ch;
  return NAMED[ch] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/**
 * The text as a terminal may print it: unsafe characters escaped visibly
 * (ESC as the four characters \x1b, a newline as \n), at most max characters,
 * then "…". Reads no further than it prints, so a field of megabytes costs nothing.
 */
export function terminalText(text: string, max = FIELD_MAX): string {
  let out = '';
  for (const ch of text) {
    const shown = escaped(ch);
    if (out.length + shown.length > max) return `${out}…`;
    out += shown;
  }
  return out;
}

/** The text cut to max characters, then "…", never splitting a surrogate pair; nothing escaped (for JSON). */
export function cappedText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A value as JSON a terminal may print: JSON.stringify escapes C0 controls
 * and lone surrogates itself; DEL, the C1 controls and the bidi controls
 * are escaped here too (\u009b), which JSON reads back as the same value.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (ch) => `\\u${hex(ch.charCodeAt(0), 4)}`);
}
