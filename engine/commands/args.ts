import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { closest } from '../util/edit-distance.js';

/** A mistake in how a command was called: one line on stderr, exit status 2 (engine/cli.ts). */
export class UsageError extends Error {}

export function parse<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const });
  } catch (thrown) {
    throw new UsageError((thrown as Error).message);
  }
}

/** An integer flag within [min, max], or the default when absent. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(`--${name}: expected an integer ${range}, got "${value}"`);
  }
  return n;
}

/** Writes a report as JSON or as its text form. */
export function print(json: boolean | undefined, report: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : text() + '\n');
}

/** `did you mean "eval"?` for a near miss, else the list: `benchmarks: sim, engine, eval`. */
export function suggest(input: string, names: readonly string[], what: string): string {
  const near = closest(input, names);
  return near ? `did you mean "${near}"?` : `${what}: ${names.join(', ')}`;
}
