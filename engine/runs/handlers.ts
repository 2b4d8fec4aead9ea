import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { rsdError, RsdCallError } from '../api/errors.js';
import type { Results } from '../api/schemas/results.js';
import { SCENE_FORMAT, SceneFile } from '../api/schemas/scene.js';
import { Trajectory } from '../api/schemas/trajectory.js';
import { ComparisonError, compareResults } from '../eval/compare.js';
import { defaultWorkers, RUN_DEFAULTS } from '../eval/defaults.js';
import { resolveResume, resolveRun } from '../eval/resolve.js';
import type { EvalService } from '../eval/service.js';
import { MAX_STEPS, suiteName, suiteTasks } from '../libero/suites.js';
import { liberoPythonChoice } from '../sim/libero/python.js';
import type { Handlers } from '../host/host.js';
import type { SettingsStore } from '../settings/store.js';
import { serverKey } from '../settings/server-key.js';
import { loadProfile, shippedProfiles } from '../policy/remote/profile.js';
import { RunLockedError } from './lock.js';
import { formatPath, ResultsError } from './results-schema.js';
import { RunStore, RunStoreError, type Run } from './store.js';
import { sceneFileName } from './trajectory.js';
import { readCameraRows } from './camera-store.js';
import { CameraFileError } from './camera-file.js';
import { readManifest } from '../bundle/bundle.js';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import { bundleDecodings } from '../bundle/decodings.js';
import { confinedPath, type PathGrants } from '../util/confined-path.js';

type RunsHandlers = Pick<Handlers, 'runs.list' | 'runs.results' | 'runs.trajectory' | 'runs.cameras' | 'runs.scene' | 'runs.export' | 'runs.import' | 'runs.compare' | 'runs.rename' | 'runs.note' | 'runs.delete' | 'eval.suites' | 'eval.decodings' | 'eval.start' | 'eval.resume' | 'eval.cancel' | 'eval.status'>;

/** Where paths from the page may lead (engine/util/confined-path.ts). */
export interface PagePaths {
  /** `<data dir>/exports`: the page's exports and imports by path stay inside it. */
  exportsDir: string;
  /** Paths the user chose in Electron's native dialogs (main grants them); none under `rsd serve`. */
  grants?: PathGrants;
}

/**
 * The run store and evaluation service behind the `runs.*` and `eval.*` requests. runs.export and
 * runs.import take a `path` from the page: it is confined to the exports folder, or must be one the
 * user chose in a native dialog (`paths.grants`).
 */
export function runsHandlers(store: RunStore, service: EvalService, settings: SettingsStore, paths: PagePaths, env: NodeJS.ProcessEnv = process.env): RunsHandlers {
  const pagePath = (given: string, access: 'read' | 'write') => call(() => confinedPath(paths.exportsDir, given, access, paths.grants));
  const results = async (id: string): Promise<Results> => (await call(() => store.open(id))).results();
  const trajectory = async (id: string, taskId: number, trial: number): Promise<{ run: Run; trajectory: Trajectory }> => {
    const run = await call(() => store.open(id));
    const file = run.trajectoryPath(taskId, trial);
    const text = await readFile(file, 'utf8').catch(() => {
      throw notFound('params', `run ${id} has no trajectory for task ${taskId} trial ${trial}`);
    });
    const parsed = Trajectory.safeParse(JSON.parse(text));
    if (!parsed.success) throw notFound('trajectory', `${path.basename(file)}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    return { run, trajectory: parsed.data };
  };
  return {
    'runs.list': async () => ({ root: store.root, runs: (await store.list()).map((r) => ({ ...r, active: r.id === service.activeRunId })) }),
    'runs.results': async ({ id }) => {
      const r = await results(id);
      return { results: r, dir: path.join(store.root, id), latencyHistogram: histogram(r.episodes.flatMap((e) => e.chunks.latency.totalMs)), active: id === service.activeRunId };
    },
    'runs.trajectory': async ({ id, taskId, trial }) => ({ trajectory: (await trajectory(id, taskId, trial)).trajectory }),
    'runs.cameras': async ({ id, taskId, trial, from }) => {
      const { run, trajectory: t } = await trajectory(id, taskId, trial);
      if (!t.cameras) throw notFound('params', `task ${taskId} trial ${trial} of run ${id} recorded no camera images`);
      const cameras = t.cameras;
      const read = await readCameraRows(run.trajectoriesDir, cameras, from).catch((error: unknown) => {
        if (error instanceof CameraFileError) throw notFound('cameras', `${cameras.file}: ${error.message}`);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('cameras', `run ${id} has no ${cameras.file}, which the trajectory of task ${taskId} trial ${trial} names`);
        throw error;
      });
      return { views: cameras.views, frames: cameras.frames, rows: read.rows.map((r) => ({ row: r.row, jpeg: r.images.map((i) => Buffer.from(i.buffer, i.byteOffset, i.byteLength).toString('base64')) })), next: read.next };
    },
    'runs.scene': async ({ id, taskId }) => {
      const run = await call(() => store.open(id));
      const text = await readFile(path.join(run.trajectoriesDir, sceneFileName(taskId)), 'utf8').catch(() => {
        throw notFound('params.taskId', `run ${id} has no scene for task ${taskId}`);
      });
      const json = JSON.parse(text) as { format?: unknown } | null;
      if (json?.format !== SCENE_FORMAT) throw notFound('scene', `${sceneFileName(taskId)} is not an ${SCENE_FORMAT} file`);
      const parsed = SceneFile.safeParse(json);
      if (!parsed.success) throw notFound('scene', `${sceneFileName(taskId)}: ${formatPath(parsed.error.issues[0]?.path ?? [])}: ${parsed.error.issues[0]?.message}`);
      return { scene: parsed.data.description };
    },
    'runs.export': async ({ id, path: file }) => {
      const target = await pagePath(file, 'write');
      // The store still refuses a missing folder, a folder, and a run's own files (a granted path may be one).
      await call(() => store.exportRun(id, target));
      return { path: target };
    },
    'runs.import': async (params) => {
      if ('path' in params) {
        const file = await pagePath(params.path, 'read');
        return { id: (await call(() => store.importResults(file))).id };
      }
      return { id: (await call(() => store.importResultsText(params.text, params.name ?? 'the imported file'))).id };
    },
    'runs.compare': async ({ a, b }) => ({ a, b, comparison: await call(async () => compareResults(await results(a), await results(b))) }),
    'runs.rename': async ({ id, name }) => ({ id, labels: await call(() => store.rename(id, name)) }),
    'runs.note': async ({ id, note }) => ({ id, labels: await call(() => store.setNote(id, note)) }),
    'runs.delete': async ({ id }) => {
      // This engine's run holds its lock too; say so plainly rather than naming this process as the writer.
      if (id === service.activeRunId) throw notFound('params.id', `run ${id} is in progress in this engine: cancel it (and wait for it to stop) before deleting it`);
      return { id, ...(await call(() => store.deleteRun(id))) };
    },
    'eval.suites': async () => {
      const suite = suiteName(RUN_DEFAULTS.suite);
      const python = liberoPythonChoice(await settings.forRuns(), env);
      return {
        suites: [{ suite, tasks: suiteTasks(suite).map((t) => ({ id: t.id, name: t.name, instruction: t.instruction })), maxSteps: MAX_STEPS[suite], defaultTrials: RUN_DEFAULTS.trials }],
        defaults: {
          seed: RUN_DEFAULTS.seed,
          workers: defaultWorkers(),
          liberoPython: { python: python.python, origin: python.origin === 'request' ? 'settings' : python.origin },
          policyProfiles: shippedProfiles().map(profileChoice),
        },
      };
    },
    'eval.decodings': async ({ dir: given }) => {
      const saved = await settings.forRuns();
      const dir = given ?? saved?.bundleDir ?? defaultBundleDir(env);
      const { manifest } = await readManifest(dir).catch((error: Error) => {
        throw notFound('params.dir', `${error.message}${given ? '' : saved?.bundleDir ? ' (the bundle folder in settings)' : ' (the default bundle)'}`);
      });
      return { dir, bundle: manifest.name, choices: bundleDecodings(manifest) };
    },
    'eval.start': async (request) =>
      ({
        runId: await call(async () => {
          const saved = await settings.forRuns();
          // A policy server's run: the key given, else the settings' (for the settings' server only).
          const remote = request.policy?.kind === 'remote' ? request.policy : null;
          const apiKey = remote ? serverKey(remote.url, remote.apiKey, saved, env, 'policy.apiKey').apiKey : undefined;
          const asked = remote && apiKey ? { ...request, policy: { ...remote, apiKey } } : request;
          return service.start(await resolveRun(asked, { settings: saved, runsRoot: store.root, env }));
        }),
      }),
    'eval.resume': async ({ id, apiKey }) =>
      ({
        runId: await call(async () => {
          const saved = await settings.forRuns();
          const ran = (await store.open(id)).info.config.policy;
          const key = ran?.kind === 'remote' ? serverKey(ran.url, apiKey, saved, env).apiKey : undefined;
          return service.start(await resolveResume(id, { runsRoot: store.root, settings: saved, env, ...(key ? { apiKey: key } : {}) }));
        }),
      }),
    'eval.cancel': async ({ id }) => ({ cancelled: await service.cancel(id) }),
    'eval.status': () => service.status(),
  };
}

/** A shipped profile as the Run page offers it; one that cannot be read says why instead. */
function profileChoice(name: string): { name: string; description: string } {
  try {
    return { name, description: loadProfile(name).profile.description ?? '' };
  } catch (error) {
    return { name, description: `cannot be used: ${(error as Error).message}` };
  }
}

/** Store and results errors as tagged errors naming their field. */
async function call<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (error) {
    if (error instanceof ResultsError) throw new RsdCallError(rsdError('invalid-params', error.message, { field: error.field || 'results' }));
    // A run another process writes (RunLockedError) is refused as the request's run id; a store
    // refusal of the export file (`file`) names params.path, which the page gave.
    if (error instanceof RunLockedError) throw new RsdCallError(rsdError('invalid-params', error.message, { field: 'params.id' }));
    if (error instanceof RunStoreError) throw new RsdCallError(rsdError('invalid-params', error.message, { field: error.field === 'file' ? 'params.path' : 'params.id' }));
    // Runs that cannot be paired at all (different suites): B is refused against A.
    if (error instanceof ComparisonError) throw new RsdCallError(rsdError('invalid-params', error.message, { field: 'params.b' }));
    if (error instanceof Error && 'field' in error && typeof (error as { field: unknown }).field === 'string') {
      throw new RsdCallError(rsdError('invalid-params', error.message, { field: `params.${(error as { field: string }).field}` }));
    }
    throw error;
  }
}

function notFound(field: string, message: string): RsdCallError {
  return new RsdCallError(rsdError('invalid-params', message, { field }));
}

/** 20 equal bins from the smallest to the largest value (the last bin closed). */
export function histogram(values: readonly number[], bins = 20): { edges: number[]; counts: number[] } {
  if (values.length === 0) return { edges: [], counts: [] };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}
