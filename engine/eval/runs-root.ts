import { InputError } from '../util/input-error.js';
import { assertWritableFolder } from '../util/safe-read.js';
import { EvalError } from './errors.js';

/**
 * Refuses a runs root (`--out`) that is not a folder on an ordinary file system before anything
 * runs: a file, a FIFO or a device where the folder should be, or a path under /proc or /sys
 * (where the runner's `mkdir -p` of the root would loop forever).
 */
export async function assertRunsRoot(root: string): Promise<void> {
  try {
    await assertWritableFolder(root, 'out');
  } catch (error) {
    if (error instanceof InputError) throw new EvalError('out', `cannot write runs to ${root}: ${error.message}`);
    throw error;
  }
}
