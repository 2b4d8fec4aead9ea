/**
 * Untrusted text made safe for a terminal: a bundle's name, an imported results file's fields, an
 * error message quoting a file. C0 controls (ESC among them, so no ANSI escape sequence gets
 * through), DEL, C1 controls and the Unicode bidirectional controls (U+200E/F, U+202A-202E,
 * U+2066-2069, which reorder what the terminal shows) become visible `\u{...}` escapes. A
 * backslash that would make the text read as such an escape is left as it is: the escapes are
 * for a person reading a terminal, not a format to parse back.
 *
 * The text formatters apply it (engine/commands/args.ts `print`, the checklist rows, the CLI's
 * error lines, the eval progress lines); JSON output does not need it (JSON.stringify escapes the
 * controls, and bidi characters are valid JSON).
 */

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_WITH_LINES = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/**
 * `text` with every terminal control escaped. `multiline` keeps line feeds (and tabs) as they are,
 * for a formatter's whole output; without it they are escaped too, for one field or one line.
 */
export function terminalText(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_WITH_LINES, escape);
}
