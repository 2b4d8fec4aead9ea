import path from 'node:path';
import { appRoot } from '../util/app-root.js';

/** The bundle that ships with the app (assets/bundles/default); used when the user has chosen none. */
export function defaultBundleDir(): string {
  return path.join(appRoot(), 'assets', 'bundles', 'default');
}
