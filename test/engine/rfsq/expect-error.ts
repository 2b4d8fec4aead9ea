import { expect } from 'vitest';
import { RfsqError } from '../../../engine/rfsq/index.js';

/** Runs fn and checks it threw an RfsqError naming `field` with a message matching `message`. */
export function expectRfsqError(fn: () => unknown, field: string, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RfsqError);
    expect((error as RfsqError).field).toBe(field);
    expect((error as RfsqError).message).toMatch(message);
    return;
  }
  throw new Error(`expected an RfsqError naming ${field}`);
}
