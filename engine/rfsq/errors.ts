/**
 * A bad codec config or bad codes/latents. `field` names the offending entry the way a reader would
 * look it up (`levels[2]`, `codes[3][5]`, `latents[7][0]`), so the message can be acted on.
 */
export class RfsqError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'RfsqError';
    this.field = field;
  }
}

export function fail(field: string, message: string): never {
  throw new RfsqError(field, message);
}

/** A positive integer, or an error naming `field`. */
export function positiveInt(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(field, `${field} = ${String(value)} must be a positive integer`);
  return value;
}
