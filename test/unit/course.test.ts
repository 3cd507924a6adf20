/** A course's texts as a terminal shows them. */
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/cli/render-exercises.js';

describe('course texts on a terminal', () => {
  it('escapes terminal controls but newline, tab and a line-ending carriage return', () => {
    expect(printable('a\tb\nc\r\nd')).toBe('a\tb\nc\r\nd');
    expect(printable('\u001b[31mred\u0007\r\u0000\u009b\u007f')).toBe('\\x1b[31mred\\x07\\x0d\\x00\\x9b\\x7f');
    expect(printable('abc\u202edcba\u2066\u200f é ü 日本')).toBe('abc\\u202edcba\\u2066\\u200f é ü 日本');
  });
});
