import os from 'node:os';
import path from 'node:path';

export const DATA_DIR_ENV = 'RSD_DATA_DIR';
export const SETTINGS_FILE = 'settings.json';

/**
 * The user's data folder for this app (settings now; runs later): $RSD_DATA_DIR, else the OS's
 * per-user place under the home folder. Electron's userData is not used, so that the CLI, `rsd
 * serve` and the app share one folder.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  const given = env[DATA_DIR_ENV];
  if (given) return path.resolve(given);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'RSD Workbench');
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'RSD Workbench');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'rsd-workbench');
}

export function settingsFile(dir: string = dataDir()): string {
  return path.join(dir, SETTINGS_FILE);
}
