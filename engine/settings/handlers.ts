import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rsdError, RsdCallError } from '../api/errors.js';
import type { SettingsPatch } from '../api/settings.js';
import type { Handlers } from '../host/host.js';
import type { SettingsStore } from './store.js';

type SettingsHandlers = Pick<Handlers, 'settings.get' | 'settings.set'>;

export function settingsHandlers(store: SettingsStore): SettingsHandlers {
  return {
    'settings.get': () => store.read(),
    'settings.set': (patch) => store.update(withFolders(patch)),
  };
}

/** Folder settings as absolute paths to existing folders; a bad one is refused, naming its field. */
function withFolders(patch: SettingsPatch): SettingsPatch {
  const out = { ...patch };
  for (const key of ['bundleDir', 'liberoDir'] as const) {
    const given = patch[key];
    if (given) out[key] = existingFolder(given, `params.${key}`);
  }
  return out;
}

function existingFolder(given: string, field: string): string {
  const expanded = given === '~' || given.startsWith('~/') ? path.join(os.homedir(), given.slice(1)) : given;
  // The engine's working folder means nothing to someone typing in the app, so relative paths are refused.
  if (!path.isAbsolute(expanded)) throw invalid(field, `${field}: "${given}" is not an absolute path`);
  const dir = path.resolve(expanded);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw invalid(field, `${field}: there is no folder at ${dir}`);
  }
  if (!isDir) throw invalid(field, `${field}: ${dir} is a file, not a folder`);
  return dir;
}

const invalid = (field: string, message: string) => new RsdCallError(rsdError('invalid-params', message, { field }));
