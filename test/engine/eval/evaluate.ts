import type { CameraRequest, RunRequest } from '../../../engine/api/schemas/run-request.js';
import type { Strategy } from '../../../engine/decoding/record.js';
import type { AcceptRule } from '../../../engine/decoding/acceptance.js';
import { resolveResume, resolveRun } from '../../../engine/eval/resolve.js';
import { runEvaluation, type EvalReport, type RunHooks } from '../../../engine/eval/runner.js';
import type { InitSource } from '../../../engine/sim/init-source.js';

/** A run as the tests describe it: the request's fields flat, resolved as the CLI resolves them (no settings), then run. */
export interface TestRun extends RunHooks {
  bundleDir?: string;
  decoding?: Strategy;
  accept?: AcceptRule;
  threshold?: number;
  /** RFSQ layers decoded (the request's policy.layers). */
  layers?: number;
  tasks?: number[];
  trials?: number;
  maxSteps?: number;
  workers?: number;
  seed?: number;
  debug?: boolean;
  initSource?: InitSource;
  runsRoot: string;
  resume?: string;
  recordCameras?: CameraRequest[];
}

export async function evaluate(o: TestRun): Promise<EvalReport> {
  const { bundleDir, decoding, accept, threshold, layers, tasks, trials, maxSteps, workers, seed, debug, initSource, runsRoot, resume, recordCameras, ...hooks } = o;
  if (resume) return runEvaluation(await resolveResume(resume, { runsRoot, ...(workers ? { workers } : {}) }), hooks);
  const request: RunRequest = {
    ...(tasks ? { tasks } : {}),
    ...(trials ? { trials } : {}),
    ...(maxSteps ? { maxSteps } : {}),
    ...(workers ? { workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(debug ? { debug } : {}),
    ...(recordCameras ? { recordCameras } : {}),
    ...(initSource?.kind === 'libero' ? { initStates: { source: 'libero', ...(initSource.dir ? { location: initSource.dir } : {}) } } : {}),
    policy: { kind: 'bundle', ...(bundleDir ? { dir: bundleDir } : {}), ...(decoding ? { decoding } : {}), ...(accept ? { accept } : {}), ...(threshold !== undefined ? { threshold } : {}), ...(layers !== undefined ? { layers } : {}) },
  };
  return runEvaluation(await resolveRun(request, { settings: null, runsRoot }), hooks);
}
