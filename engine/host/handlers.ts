import path from 'node:path';
import { checksHandlers } from '../checks/handlers.js';
import { policyHandlers } from '../checks/probe-handlers.js';
import { CHECKS } from '../checks/checks.js';
import { ChecksRunner } from '../checks/runner.js';
import { EvalService } from '../eval/service.js';
import { fidelityHandlers } from '../fidelity/handlers.js';
import { fidelityDir } from '../fidelity/store.js';
import { runsHandlers } from '../runs/handlers.js';
import { defaultRunsRoot, RunStore } from '../runs/store.js';
import { settingsHandlers } from '../settings/handlers.js';
import { dataDir, settingsFile } from '../settings/paths.js';
import { SettingsStore } from '../settings/store.js';
import type { EngineHostKind } from '../system/info.js';
import { systemHandlers } from '../system/handlers.js';
import type { PathGrants } from '../util/confined-path.js';
import { EngineHost, type Handlers } from './host.js';

export interface EngineOptions {
  /** The user's data folder (settings.json); default RSD_DATA_DIR, else the OS's per-user folder. */
  dataDir?: string;
  /** Environment the checks and the run resolver read (RSD_LIBERO_DIR, RSD_LIBERO_PYTHON); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-check time limit of the checklist. */
  checkTimeoutMs?: number;
  /**
   * Paths the user chose in Electron's native dialogs, which runs.export/runs.import may use outside
   * the exports folder. Only Electron's engine host passes one (filled by main); never `rsd serve`.
   */
  grants?: PathGrants;
}

/** Lets the handlers push events before the host that carries them exists. */
export interface EventSink {
  emit: EngineHost['emit'];
}

/** Every domain's handlers, joined: the compiler checks that each request in the contract has one. */
export function createHandlers(engineHost: EngineHostKind, options: EngineOptions = {}, sink: EventSink = { emit: () => undefined }): Handlers {
  const env = options.env ?? process.env;
  const data = options.dataDir ?? dataDir(env);
  const settings = new SettingsStore(settingsFile(data));
  const runs = new RunStore(defaultRunsRoot(data));
  const exportsDir = path.join(data, 'exports');
  const evaluations = new EvalService((event) => sink.emit('eval.event', event));
  const checks = new ChecksRunner({ checks: CHECKS, settings, env, timeoutMs: options.checkTimeoutMs });
  return {
    ...systemHandlers(engineHost),
    ...checksHandlers(checks),
    ...settingsHandlers(settings),
    ...runsHandlers(runs, evaluations, settings, { exportsDir, grants: options.grants }, env),
    ...fidelityHandlers(fidelityDir(data)),
    ...policyHandlers(settings, env),
  };
}

export function createEngineHost(engineHost: EngineHostKind, options: EngineOptions = {}): EngineHost {
  const sink: EventSink = { emit: () => undefined };
  const host = new EngineHost(createHandlers(engineHost, options, sink));
  sink.emit = (type, payload) => host.emit(type, payload);
  return host;
}
