// Where the Electron binary is, or why there is none, without triggering electron's lazy download
// (require('electron') downloads on first use, which cannot work offline).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** @returns {{ path: string } | { missing: string }} */
export function findElectronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = path.join(dir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(dir, 'dist');
  const binary = relative ? path.join(base, relative) : null;
  if (binary && existsSync(binary)) return { path: binary };
  return { missing: `no Electron binary in ${base} (it is downloaded from GitHub on first use, which this machine cannot reach)` };
}
