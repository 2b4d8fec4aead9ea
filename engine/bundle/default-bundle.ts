import path from 'node:path';
import { appRoot } from '../util/app-root.js';

/** Overrides where the default bundle is looked for (a packager's layout; tests of an install without one). */
export const DEFAULT_BUNDLE_ENV = 'RSD_DEFAULT_BUNDLE';

/** The bundle that ships with the app (assets/bundles/default); used when the user has chosen none. */
export function defaultBundleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[DEFAULT_BUNDLE_ENV] || path.join(appRoot(), 'assets', 'bundles', 'default');
}
