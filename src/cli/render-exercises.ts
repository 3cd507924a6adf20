import type { InitResult } from '../lab/init.js';

/** A terminal control: C0 but tab and newline, DEL, C1, and the marks that reorder text (bidi). */
function isControl(code: number): boolean {
  if (code === 0x09 || code === 0x0a) return false;
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Text from someone else's file made safe for a terminal: every control
 * character but newline and tab (and a carriage return ending a line) is
 * shown escaped, \x1b or \u202e, so a course cannot move the cursor,
 * recolour the screen or reorder what it shows.
 */
export function printable(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const crlf = code === 0x0d && text.charCodeAt(i + 1) === 0x0a;
    if (!isControl(code) || crlf) out += text[i];
    else out += code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

export function renderInit(r: InitResult): string {
  const texts = r.texts.length ? ` and ${r.texts.length} exercise text(s)` : '';
  return [
    printable(`wrote ${r.file}${texts} from ${r.from}: profile ${r.profile}, exercises ${r.exercises.join(', ')}`),
    ...r.untexted.map((u) => `no text for ${u.exercise}: ${printable(u.why)}`),
    'next: lab lock (writes lab.lock), then commit both',
  ].join('\n');
}
