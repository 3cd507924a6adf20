/**
 * Text from a bundle made safe for the terminal (util/terminal-text.ts):
 * escaped, capped, and so in every cell of lab check's table and --json.
 */
import { describe, expect, it } from 'vitest';
import { checkJson, renderCheck } from '../../src/cli/render-course.js';
import { cappedText, terminalJson, terminalText } from '../../src/util/terminal-text.js';
import { rawControl } from '../helpers/hostile-bundles.mjs';

describe('terminal text', () => {
  it('shows every control, C1 and bidi character escaped, and keeps the rest', () => {
    expect(terminalText('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
    expect(terminalText('ada\nbob  bp  pass\r\t')).toBe('ada\\nbob  bp  pass\\r\\t');
    expect(terminalText('a\x7f\u009b2J\u202eb\u2066c\ud800')).toBe('a\\x7f\\x9b2J\\u202eb\\u2066c\\ud800');
    expect(terminalText('compact_zone → é 日本 🙂')).toBe('compact_zone → é 日本 🙂');
  });

  it('caps a field, never cutting an escape, and reads no further than it prints', () => {
    expect(terminalText('x'.repeat(300))).toBe('x'.repeat(200) + '…');
    expect(terminalText('x'.repeat(198) + '\x1b')).toBe('x'.repeat(198) + '…');
    expect(terminalText('\x1b'.repeat(10), 12)).toBe('\\x1b\\x1b\\x1b…');
    const huge = 'y'.repeat(50_000_000);
    expect(terminalText(huge, 10)).toBe('yyyyyyyyyy…');
    expect(terminalText(terminalText('a\x1bb'))).toBe('a\\x1bb');
  });

  it('caps JSON text without splitting a surrogate pair, and escapes C1 and bidi as JSON escapes', () => {
    expect(cappedText('ab🙂', 3)).toBe('ab…');
    expect(cappedText('abc', 3)).toBe('abc');
    const value = { s: 'a\x1b\u009b\u202e\nb' };
    const json = terminalJson(value);
    expect(rawControl(json)).toBeUndefined();
    expect(JSON.parse(json)).toEqual(value);
  });

  it("lab check's table and --json: every cell escaped and capped", () => {
    const row = {
      bundle: 'b\x1b[2J.tar.gz',
      student: 'ada\x1b]52;c;cHduZWQ=\x07',
      exercise: 'bp',
      result: 'pass' as const,
      evidence: `r1: ${'e'.repeat(5_000_000)}`,
    };
    const text = renderCheck({ rows: [row], passed: true, bundles: 1, seconds: 0 });
    expect(rawControl(text)).toBeUndefined();
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThan(300);
    const json = checkJson({ rows: [row], passed: true, bundles: 1, seconds: 0 });
    expect(rawControl(json)).toBeUndefined();
    expect(json.length).toBeLessThan(5_000);
    expect(JSON.parse(json).rows[0].student).toBe(row.student);
  });
});
