import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadBundle, MANIFEST_FILE, readManifest, type LoadedBundle } from '../bundle/bundle.js';
import type { Manifest } from '../bundle/manifest.js';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import type { CheckContext, Outcome } from './types.js';

export { defaultBundleDir };

export type BundleSource = { kind: 'none' } | { kind: 'dir'; dir: string; origin: 'settings' | 'default bundle' };

export function bundleSource(ctx: CheckContext): BundleSource {
  const chosen = ctx.settings.settings.bundleDir;
  if (chosen) return { kind: 'dir', dir: chosen, origin: 'settings' };
  const fallback = defaultBundleDir();
  return existsSync(path.join(fallback, MANIFEST_FILE)) ? { kind: 'dir', dir: fallback, origin: 'default bundle' } : { kind: 'none' };
}

export function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** bundle.json of the run's bundle, read once per run. */
export function sharedManifest(ctx: CheckContext, dir: string): Promise<{ manifest: Manifest }> {
  return ctx.shared(`manifest:${dir}`, () => readManifest(dir));
}

/** The run's bundle, loaded once on the CPU (the provider rows test the others) and released when the run ends. */
export function sharedBundle(ctx: CheckContext, dir: string): Promise<LoadedBundle> {
  return ctx.shared(`bundle:${dir}`, () => loadBundle(dir, { ep: 'cpu' }), (bundle) => bundle.release());
}

export type Upstream<T> = { ok: true; dir: string; value: T } | { ok: false; outcome: Outcome };

/** For the rows after "Model bundle": its valid manifest, or why this row cannot be checked. */
export async function upstreamManifest(ctx: CheckContext): Promise<Upstream<Manifest>> {
  const source = bundleSource(ctx);
  if (source.kind === 'none') return { ok: false, outcome: { status: 'not-configured', detail: 'Needs a model bundle: choose one in the "Model bundle" row.' } };
  try {
    if (!isFolder(source.dir)) throw new Error('no folder');
    return { ok: true, dir: source.dir, value: (await sharedManifest(ctx, source.dir)).manifest };
  } catch {
    return { ok: false, outcome: { status: 'unknown', detail: 'Not checked: the bundle folder or its bundle.json is not valid (see the "Model bundle" row).' } };
  }
}

/** For rows that need the loaded models: the bundle, or why this row cannot be checked. */
export async function upstreamBundle(ctx: CheckContext): Promise<Upstream<LoadedBundle>> {
  const manifest = await upstreamManifest(ctx);
  if (!manifest.ok) return manifest;
  try {
    return { ok: true, dir: manifest.dir, value: await sharedBundle(ctx, manifest.dir) };
  } catch {
    return { ok: false, outcome: { status: 'unknown', detail: 'Not checked: the bundle\'s models did not load (see the "Bundle models" row).' } };
  }
}
