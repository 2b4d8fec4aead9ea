import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CheckId, CheckResult, ChecksProgress } from '../../../engine/api/checks.js';
import { CHECKS } from '../../../engine/checks/checks.js';
import { ChecksRunner } from '../../../engine/checks/runner.js';
import { SettingsStore } from '../../../engine/settings/store.js';

export interface Ran {
  results: Map<CheckId, CheckResult>;
  progress: ChecksProgress[];
}

/**
 * Runs real checks as the engine does, with this settings.json (written as given, so tests can
 * write broken ones too) in a fresh data folder, and no LIBERO folder unless `env` names one.
 */
export async function runChecks(ids: CheckId[], options: { settings?: object | string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-checks-'));
  try {
    const file = path.join(dir, 'settings.json');
    if (options.settings !== undefined) await writeFile(file, typeof options.settings === 'string' ? options.settings : JSON.stringify(options.settings));
    const runner = new ChecksRunner({ checks: CHECKS, settings: new SettingsStore(file), env: options.env ?? {} });
    const progress: ChecksProgress[] = [];
    const results = await runner.run(ids, (p) => progress.push(p));
    return { results: new Map(results.map((r) => [r.id, r])), progress };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runCheck(id: CheckId, options?: Parameters<typeof runChecks>[1]): Promise<CheckResult> {
  return (await runChecks([id], options)).results.get(id)!;
}
