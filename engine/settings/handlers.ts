import { accessSync, constants, statSync } from 'node:fs';
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
    'settings.set': (patch) => store.update(withPaths(patch)),
  };
}

/**
 * Folder settings as absolute paths to existing folders, the LIBERO Python as an absolute path to an
 * existing executable file, a policy profile as a name or an existing file; a bad one is refused,
 * naming its field.
 */
function withPaths(patch: SettingsPatch): SettingsPatch {
  const out = { ...patch };
  for (const key of ['bundleDir', 'liberoDir'] as const) {
    const given = patch[key];
    if (given) out[key] = existingFolder(given, `params.${key}`);
  }
  if (patch.liberoPython) out.liberoPython = existingExecutable(patch.liberoPython, 'params.liberoPython');
  if (patch.policyProfile) out.policyProfile = profileChoice(patch.policyProfile, 'params.policyProfile');
  return out;
}

/** A shipped profile's name as given; anything that looks like a path, an absolute path to an existing file. */
function profileChoice(given: string, field: string): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(given)) return given;
  if (!/[\\/]|\.json$/i.test(given)) {
    throw invalid(field, `${field}: "${given}" is neither a profile name (lower-case letters, digits, -) nor a profile JSON file`);
  }
  const file = absolute(given, field);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw invalid(field, `${field}: there is no file at ${file}`);
  }
  if (!isFile) throw invalid(field, `${field}: ${file} is a folder, not a profile JSON file`);
  return file;
}

/** `~` expanded, then required absolute: the engine's working folder means nothing to someone typing in the app. */
function absolute(given: string, field: string): string {
  const expanded = given === '~' || given.startsWith('~/') ? path.join(os.homedir(), given.slice(1)) : given;
  if (!path.isAbsolute(expanded)) throw invalid(field, `${field}: "${given}" is not an absolute path`);
  return path.resolve(expanded);
}

function existingFolder(given: string, field: string): string {
  const dir = absolute(given, field);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw invalid(field, `${field}: there is no folder at ${dir}`);
  }
  if (!isDir) throw invalid(field, `${field}: ${dir} is a file, not a folder`);
  return dir;
}

/** An interpreter: an existing file the engine may execute (a venv's bin/python is a symlink: followed). */
function existingExecutable(given: string, field: string): string {
  const file = absolute(given, field);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw invalid(field, `${field}: there is no file at ${file}`);
  }
  if (!isFile) throw invalid(field, `${field}: ${file} is a folder, not an interpreter`);
  if (process.platform !== 'win32') {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      throw invalid(field, `${field}: ${file} is not executable`);
    }
  }
  return file;
}

const invalid = (field: string, message: string) => new RsdCallError(rsdError('invalid-params', message, { field }));
