import type { SettingsState } from '../api/settings.js';
import type { CheckContext } from './types.js';

/** A run's context and the end of it, which disposes what its checks shared. */
export function runContext(settings: SettingsState, env: NodeJS.ProcessEnv): { ctx: CheckContext; dispose(): Promise<void> } {
  const made = new Map<string, Promise<unknown>>();
  const disposers: (() => Promise<void> | void)[] = [];
  const ctx: CheckContext = {
    settings,
    env,
    shared<T>(key: string, make: () => Promise<T>, dispose?: (value: T) => Promise<void> | void): Promise<T> {
      let value = made.get(key) as Promise<T> | undefined;
      if (!value) {
        value = make();
        made.set(key, value);
        if (dispose) disposers.push(async () => dispose(await value!));
      }
      return value;
    },
  };
  return {
    ctx,
    async dispose() {
      // A value that failed to be made has nothing to dispose.
      await Promise.allSettled(disposers.map((d) => d()));
    },
  };
}
