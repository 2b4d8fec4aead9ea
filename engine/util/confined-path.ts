import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './input-error.js';

/**
 * The one policy for file paths that arrive from a page (the renderer, over the WebSocket of `rsd
 * serve` or Electron's IPC): the page is a client of the engine, not a file manager. Such a path is
 * used only when
 *
 * - it lies inside the engine's own exports folder (`<data dir>/exports/`, created on demand): a
 *   relative path is taken from that folder, an absolute one must already be inside it; `..` is
 *   refused, and so is anything whose real path (symlinks followed: the folder, and the file if it
 *   exists) leaves the folder; or
 * - the user chose exactly that path in Electron's native save dialog (to write) or open dialog (to
 *   read) in this session: a `PathGrants` entry.
 *
 * Grants cannot come from a page. Electron's main process shows the dialogs (electron/dialogs.ts) and
 * tells the engine host what the user chose on the MessagePort that only main holds
 * (electron/engine-process.ts, electron/engine-host.ts), as a message of its own beside the request
 * envelopes; a page's params never reach that channel as anything but a request's params. `rsd
 * serve` and the CLI's in-process host have no grants at all. (The CLI's own `rsd runs export/import`
 * takes the user's paths as they are: they come from the user, not from a page.)
 */

/** What a path is for: `write` (export; the save dialog grants it), `read` (import; the open dialog). */
export type PathAccess = 'read' | 'write';

/** Paths the user chose in a native dialog in this session, by access. Only Electron's main adds to it. */
export class PathGrants {
  private readonly granted = { read: new Set<string>(), write: new Set<string>() };

  grant(access: PathAccess, file: string): void {
    if (!path.isAbsolute(file) || file.includes('\0')) return;
    this.granted[access].add(path.resolve(file));
  }

  allows(access: PathAccess, file: string): boolean {
    return path.isAbsolute(file) && this.granted[access].has(path.resolve(file));
  }
}

/** A path from a page that may not be used; `field` is `path`, which the handlers report as `params.path`. */
export class ConfinedPathError extends InputError {
  constructor(message: string) {
    super('path', message);
    this.name = 'ConfinedPathError';
  }
}

const isInside = (root: string, target: string): boolean => {
  const relative = path.relative(root, target);
  return relative !== '' && relative !== '..' && !relative.startsWith('..' + path.sep) && !path.isAbsolute(relative);
};

/**
 * The absolute path a page's `given` path stands for, or a ConfinedPathError: inside `root` (the
 * exports folder, created here when missing), or granted for `access`. The file itself is not
 * required to exist (a new export); its folder is.
 */
export async function confinedPath(root: string, given: string, access: PathAccess, grants?: PathGrants): Promise<string> {
  if (given.includes('\0')) throw new ConfinedPathError('the path has a NUL character');
  if (grants?.allows(access, given)) return path.resolve(given);
  const outside = (why: string): never => {
    throw new ConfinedPathError(
      `${given}: ${why}; files ${access === 'write' ? 'are exported' : 'are imported'} from the page only inside the exports folder ${root} (a file name there), or where you choose in the app's ${access === 'write' ? 'save' : 'open'} dialog`,
    );
  };
  if (given.split(/[\\/]/).includes('..')) outside('a path with .. is refused');
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const target = path.resolve(root, given);
  if (!isInside(path.resolve(root), target) && !isInside(realRoot, target)) outside('it is outside the exports folder');
  const folder = await realpath(path.dirname(target)).catch(() => null);
  if (folder === null) throw new ConfinedPathError(`${given}: the folder ${path.dirname(target)} does not exist (create it first)`);
  const real = path.join(folder!, path.basename(target));
  if (!isInside(realRoot, real)) outside('it leads outside the exports folder (a symbolic link)');
  // A link in the file's place must not lead out either (reading follows it); a dangling one is refused.
  if ((await lstat(real).catch(() => null))?.isSymbolicLink()) {
    const linked = await realpath(real).catch(() => null);
    if (linked === null || !isInside(realRoot, linked)) outside('it leads outside the exports folder (a symbolic link)');
  }
  return real;
}
