import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// In the Electron bundle (CommonJS) the build defines import.meta.url from __filename.
const require = createRequire(import.meta.url);

/**
 * The folder of an installed npm package, found the way Node's resolver walks node_modules; works
 * for ESM-only packages whose `exports` hide package.json. Inside a packaged app, native and wasm
 * files live in app.asar.unpacked (electron-builder.yml unpacks them), so the path points there.
 */
export function packageDir(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = path.join(dir, name);
    if (existsSync(path.join(candidate, 'package.json'))) return unpackedPath(candidate);
  }
  throw new Error(`npm package ${name} is not installed (looked from ${path.dirname(require.resolve.paths('.')?.[0] ?? '.')})`);
}

export function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${name}/package.json has no version`);
  return pkg.version;
}

export function unpackedPath(p: string): string {
  return p.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
}

/** Loads a CommonJS package (onnxruntime-node) from ESM or from the CommonJS bundle alike. */
export function requirePackage<T>(name: string): T {
  return require(name) as T;
}
