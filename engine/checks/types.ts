import type { CheckFix, CheckGroup, CheckId, CheckStatus } from '../api/checks.js';
import type { SettingKey, SettingsState } from '../api/settings.js';

/** What a check finds; the runner adds its id, title, duration and time. */
export interface Outcome {
  status: CheckStatus;
  detail: string;
  fix?: CheckFix;
}

export interface CheckContext {
  /** The settings as the engine reads them now (defaults, with `problem` set, when the file is invalid). */
  settings: SettingsState;
  env: NodeJS.ProcessEnv;
  /**
   * A value made once per run and shared by the checks of that run (the loaded model bundle serves
   * four rows); `dispose` runs when the run ends.
   */
  shared<T>(key: string, make: () => Promise<T>, dispose?: (value: T) => Promise<void> | void): Promise<T>;
}

export interface Check {
  id: CheckId;
  title: string;
  group: CheckGroup;
  purpose: string;
  reads: SettingKey[];
  /** The signal aborts when the check runs out of time; long steps should give up when it does. */
  run(ctx: CheckContext, signal: AbortSignal): Promise<Outcome>;
}

export function message(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : typeof thrown === 'number' ? `native code threw ${thrown} (likely a WebAssembly abort)` : String(thrown);
}
