import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { closest } from '../util/edit-distance.js';
import { terminalText } from '../util/terminal-text.js';

/** A mistake in how a command was called: one line on stderr, exit status 2 (engine/cli.ts). */
export class UsageError extends Error {}

export function parse<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const });
  } catch (thrown) {
    throw new UsageError((thrown as Error).message);
  }
}

/**
 * An integer flag within [min, max], or the default when absent. Only decimal digits are taken:
 * `Number()` would read `0x10` as 16, `1e9` as a billion and ` 16`, `+16` or `16.0` as 16.
 */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(`--${name}: expected an integer ${range}, got "${value}"`);
  }
  return n;
}

/**
 * Writes a report as JSON or as its text form; the text with terminal controls escaped
 * (engine/util/terminal-text.ts), as it carries names and messages from bundles and results files.
 */
export function print(json: boolean | undefined, report: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : terminalText(text(), { multiline: true }) + '\n');
}

/** `did you mean "eval"?` for a near miss, else the list: `benchmarks: sim, engine, eval`. */
export function suggest(input: string, names: readonly string[], what: string): string {
  const near = closest(input, names);
  return near ? `did you mean "${near}"?` : `${what}: ${names.join(', ')}`;
}
