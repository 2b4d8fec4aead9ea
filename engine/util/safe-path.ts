import path from 'node:path';

/**
 * Maps a URL path onto a file under `root`, or null when it would leave `root` (`..`, encoded
 * slashes, absolute paths, NUL bytes). Used by `rsd serve` and by Electron's app:// protocol.
 */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = path.resolve(root);
  const target = path.resolve(base, '.' + path.posix.normalize('/' + decoded));
  const relative = path.relative(base, target);
  if (relative === '..' || relative.startsWith('..' + path.sep) || path.isAbsolute(relative)) return null;
  return target;
}
