import { describe, expect, it } from 'vitest';
import { terminalText } from '../../../engine/util/terminal-text.js';

describe('terminalText', () => {
  it('escapes C0 and C1 controls, ESC, DEL and the bidi controls as visible \\u{...}', () => {
    expect(terminalText('\u001b[31mred\u202e')).toBe('\\u{1b}[31mred\\u{202e}');
    expect(terminalText('a\u0000b\u0007c\rd\u007fe\u009bf')).toBe('a\\u{0}b\\u{7}c\\u{d}d\\u{7f}e\\u{9b}f');
    expect(terminalText('\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe('\\u{200e}\\u{200f}\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{2066}\\u{2067}\\u{2068}\\u{2069}');
    expect(terminalText('one\ntwo\tthree')).toBe('one\\u{a}two\\u{9}three');
  });

  it('multiline keeps line feeds and tabs, and leaves other text alone', () => {
    expect(terminalText('✓ one\n\ttwo \u001b[2J', { multiline: true })).toBe('✓ one\n\ttwo \\u{1b}[2J');
    expect(terminalText('naïve 中文 emoji 🙂 \\u{1b}')).toBe('naïve 中文 emoji 🙂 \\u{1b}');
  });
});
