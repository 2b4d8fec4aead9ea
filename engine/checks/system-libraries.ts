import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the dynamic loader would find a shared library, looked up as ld.so does (LD_LIBRARY_PATH,
 * /etc/ld.so.conf.d, the standard folders), so a check can say "libvulkan.so.1 is not installed"
 * instead of repeating a provider's vaguer error. Linux only; null elsewhere or when absent.
 */
export function findSharedLibrary(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null;
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...configuredDirs(), ...standardDirs()];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}

function configuredDirs(): string[] {
  const confDir = '/etc/ld.so.conf.d';
  try {
    return readdirSync(confDir)
      .filter((f) => f.endsWith('.conf'))
      .flatMap((f) => readFileSync(path.join(confDir, f), 'utf8').split('\n'))
      .map((line) => line.trim())
      .filter((line) => line.startsWith('/'));
  } catch {
    return [];
  }
}

function standardDirs(): string[] {
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];
}

/** The loaded NVIDIA kernel driver's version (Linux), e.g. "535.129.03", or null when none is loaded. */
export function nvidiaDriverVersion(file = '/proc/driver/nvidia/version'): string | null {
  try {
    return /Kernel Module\s+(?:for \S+\s+)?(\d+(?:\.\d+)+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? 'unknown version';
  } catch {
    return null;
  }
}
