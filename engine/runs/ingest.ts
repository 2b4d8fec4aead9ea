import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { EpisodeRecord, episodeConfigIssues } from '../api/schemas/results.js';
import type { RunConfig } from '../api/schemas/run-config.js';
import { SceneFile } from '../api/schemas/scene.js';
import { Trajectory } from '../api/schemas/trajectory.js';
import { decodeFloats, decodeGoal } from '../api/trajectory-codec.js';
import { formatPath } from './results-schema.js';
import { sceneFileName } from './trajectory.js';
import { CameraFileError, checkCameraFile } from './camera-file.js';

/**
 * Validation for Run.ingest and Run.ingestFolder (engine/runs/store.ts): episodes, trajectories
 * and scene files produced elsewhere (a child process, another machine) are checked as a whole
 * before anything of them is written into the local run.
 *
 * This module only reads and checks; the run writes. It imports nothing from store.ts.
 */

/** What an execution target sends home: episode records, their trajectories, the tasks' scene files. */
export interface IngestBatch {
  /** EpisodeRecords (episodes.jsonl lines), parsed. */
  episodes: unknown[];
  /** Trajectory file name (`task03-trial007.json`) -> the parsed file. */
  trajectories?: Record<string, unknown>;
  /** Scene file name (`scene-task03.json`) -> the parsed file. */
  scenes?: Record<string, unknown>;
  /** Camera file name (`task03-trial007.mcap`, named by its trajectory's `cameras`) -> its bytes. */
  cameras?: Record<string, Uint8Array>;
}

export interface IngestResult {
  /** Episodes appended to the run. */
  added: number;
}

export interface IngestFolderResult extends IngestResult {
  /** Episodes of the folder that the run already had (left alone). */
  skipped: number;
  /** A last line of the folder's episodes.jsonl that is not complete yet (in flight), or null. */
  dropped: string | null;
}

/** A refused ingest: names the source, the episode (when one is concerned) and the field. */
export class IngestError extends Error {
  constructor(
    /** Where the batch came from (a target's name, a folder). */
    readonly source: string,
    /** The first problem's field, e.g. `episodes[2].steps`, `trajectories["task00-trial001.json"].outcome`. */
    readonly field: string,
    /** The episode concerned, when known. */
    readonly episode: { taskId: number; trial: number } | null,
    readonly detail: string,
  ) {
    super(`ingest from ${source}: ${episode ? `task ${episode.taskId} trial ${episode.trial}: ` : ''}${field}: ${detail}`);
    this.name = 'IngestError';
  }
}


const BatchShape = z.strictObject({
  episodes: z.array(z.unknown()),
  trajectories: z.record(z.string(), z.unknown()).optional(),
  scenes: z.record(z.string(), z.unknown()).optional(),
  cameras: z.record(z.string(), z.instanceof(Uint8Array)).optional(),
});

/** A file of the batch: its parsed content and the exact text to write. */
export interface BatchFile {
  value: unknown;
  /** The bytes to write (a folder's file as read; else JSON.stringify of the value). */
  text?: string;
}

/** A batch as the checks take it, with how its parts are named in messages. */
export interface PreparedBatch {
  episodes: unknown[];
  trajectories: Map<string, BatchFile>;
  scenes: Map<string, BatchFile>;
  cameras: Map<string, Uint8Array>;
  /** Where the batch's files are, in messages: `the batch`, `the folder's trajectories/`. */
  holder: string;
  /** How episode i is named in fields: `episodes[i]`, or `episodes.jsonl:N` (line N) for a folder. */
  episodeField: (i: number) => string;
  trajectoryField: (name: string) => string;
  sceneField: (name: string) => string;
  camerasField: (name: string) => string;
}

/** What the batch will write once valid. */
export interface IngestPlan {
  /** Validated records, in batch order. */
  episodes: EpisodeRecord[];
  /** How each is named in fields (`episodes[3]`, `episodes.jsonl:4`). */
  episodeFields: string[];
  /** Trajectory files to write under the run's trajectories/: name -> text. */
  trajectories: Map<string, string>;
  /** Scene files to write under the run's trajectories/ unless the run has them by then. */
  scenes: Map<string, string>;
  /** Camera files to write under the run's trajectories/, before the trajectories that name them. */
  cameras: Map<string, Uint8Array>;
}

export interface RunView {
  id: string;
  config: RunConfig;
  /** Whether (task, trial) is already recorded in the run. */
  has: (taskId: number, trial: number) => boolean;
  /** Whether the run's trajectories/ already holds this scene file. */
  hasScene: (name: string) => Promise<boolean>;
}

const keyOf = (taskId: number, trial: number): string => `${taskId}/${trial}`;

/** `task03-trial007.json` (the store's trajectoryName; repeated here so this module needs nothing from store.ts). */
export function episodeTrajectoryName(taskId: number, trial: number): string {
  return `task${String(taskId).padStart(2, '0')}-trial${String(trial).padStart(3, '0')}.json`;
}

/** `task03-trial007.mcap` (the store's camerasName). */
export function episodeCamerasName(taskId: number, trial: number): string {
  return episodeTrajectoryName(taskId, trial).replace(/\.json$/, '.mcap');
}

const join = (container: string, p: readonly PropertyKey[]): string => {
  const rest = formatPath(p);
  return rest === '' ? container : rest.startsWith('[') ? `${container}${rest}` : `${container}.${rest}`;
};

/** The first zod issue's path, with the first unexpected key named (as validateResults does). */
function firstIssue(error: z.ZodError): { path: PropertyKey[]; message: string } {
  const issue = error.issues[0]!;
  const extra = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  return { path: [...issue.path, ...extra], message: issue.message };
}

/** (task, trial) of a raw record when it has them, so a refusal can name the episode. */
function rawKey(value: unknown): { taskId: number; trial: number } | null {
  if (!value || typeof value !== 'object') return null;
  const { taskId, trial } = value as { taskId?: unknown; trial?: unknown };
  return Number.isInteger(taskId) && Number.isInteger(trial) ? { taskId: taskId as number, trial: trial as number } : null;
}

/** A batch passed to Run.ingest, shape-checked and named `episodes[i]`, `trajectories["f"]`, `scenes["f"]`. */
export function prepareBatch(batch: unknown, source: string): PreparedBatch {
  const parsed = BatchShape.safeParse(batch);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new IngestError(source, formatPath(issue.path) || '(batch)', null, issue.message);
  }
  const files = (record: Record<string, unknown> | undefined) => new Map(Object.entries(record ?? {}).map(([name, value]) => [name, { value }] as const));
  return {
    episodes: parsed.data.episodes,
    trajectories: files(parsed.data.trajectories),
    scenes: files(parsed.data.scenes),
    cameras: new Map(Object.entries(parsed.data.cameras ?? {})),
    holder: 'the batch',
    episodeField: (i) => `episodes[${i}]`,
    trajectoryField: (name) => `trajectories[${JSON.stringify(name)}]`,
    sceneField: (name) => `scenes[${JSON.stringify(name)}]`,
    camerasField: (name) => `cameras[${JSON.stringify(name)}]`,
  };
}

/**
 * Checks a whole batch against the run; throws an IngestError at the first problem, else returns
 * what to write. Nothing here writes.
 *
 * - every record passes EpisodeRecord and episodeConfigIssues (the checks a results file's episodes
 *   get: its task is in the run's configuration, its trial below `trials`, its steps within
 *   `maxSteps`, no drafted layers unless decoding is speculative); no (task, trial) is in the run
 *   already or twice in the batch;
 * - a record that names a trajectory names its own (`taskNN-trialTTT.json`), and the batch holds it;
 *   the trajectory passes the Trajectory schema, its arrays have the lengths its steps and bodies
 *   give, and it agrees with the record (task, trial, init state, outcome, error, steps, chunks'
 *   layers) and the configuration (maxSteps, its scene's name); its scene is in the batch or the run;
 * - every scene file passes SceneFile, is named for its task, and its task is in the configuration;
 * - the batch holds no trajectory that none of its episodes names.
 */
export async function planIngest(run: RunView, batch: PreparedBatch, source: string): Promise<IngestPlan> {
  const { config } = run;
  const fail = (field: string, episode: { taskId: number; trial: number } | null, detail: string): never => {
    throw new IngestError(source, field, episode, detail);
  };

  const episodes: EpisodeRecord[] = [];
  const seen = new Map<string, number>();
  batch.episodes.forEach((raw, i) => {
    const at = batch.episodeField(i);
    const parsed = EpisodeRecord.safeParse(raw);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error);
      fail(join(at, issue.path), rawKey(raw), issue.message);
    }
    const e = parsed.data!;
    const key = { taskId: e.taskId, trial: e.trial };
    const [issue] = episodeConfigIssues(config, e, run.id);
    if (issue) fail(join(at, issue.path), key, issue.message);
    if (run.has(e.taskId, e.trial)) fail(`${at}.trial`, key, `task ${e.taskId} trial ${e.trial} is already recorded in run ${run.id}`);
    const twice = seen.get(keyOf(e.taskId, e.trial));
    if (twice !== undefined) fail(`${at}.trial`, key, `task ${e.taskId} trial ${e.trial} appears twice in the batch (also ${batch.episodeField(twice)})`);
    seen.set(keyOf(e.taskId, e.trial), i);
    if (e.trajectory !== null) {
      const wanted = episodeTrajectoryName(e.taskId, e.trial);
      if (e.trajectory !== wanted) fail(`${at}.trajectory`, key, `names "${e.trajectory}"; the trajectory of task ${e.taskId} trial ${e.trial} is "${wanted}"`);
      if (!batch.trajectories.has(wanted)) fail(`${at}.trajectory`, key, `names ${wanted}, which ${batch.holder} does not hold`);
    }
    episodes.push(e);
  });

  // Scene files first: trajectories are checked against them.
  const scenes = new Map<string, string>();
  const sceneBodies = new Map<string, number>();
  for (const [name, file] of batch.scenes) {
    const at = batch.sceneField(name);
    const parsed = SceneFile.safeParse(file.value);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error);
      fail(join(at, issue.path), null, issue.message);
    }
    const scene = parsed.data!;
    if (name !== sceneFileName(scene.taskId)) fail(`${at}.taskId`, null, `the scene of task ${scene.taskId} is named ${sceneFileName(scene.taskId)}, not ${name}`);
    if (!config.tasks.includes(scene.taskId)) fail(`${at}.taskId`, null, `task ${scene.taskId} is not in run ${run.id}'s configuration (tasks ${config.tasks.join(', ')})`);
    scenes.set(name, file.text ?? JSON.stringify(file.value));
    sceneBodies.set(name, scene.description.bodies.length);
  }

  const trajectories = new Map<string, string>();
  const cameras = new Map<string, Uint8Array>();
  const named = new Set(episodes.flatMap((e) => (e.trajectory === null ? [] : [e.trajectory])));
  for (const name of batch.trajectories.keys()) {
    if (!named.has(name)) fail(batch.trajectoryField(name), null, 'no episode of the batch names this trajectory');
  }
  for (const e of episodes) {
    if (e.trajectory === null) continue;
    const key = { taskId: e.taskId, trial: e.trial };
    const file = batch.trajectories.get(e.trajectory)!;
    const at = batch.trajectoryField(e.trajectory);
    const parsed = Trajectory.safeParse(file.value);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error);
      fail(join(at, issue.path), key, issue.message);
    }
    const t = parsed.data!;
    const agree = (field: keyof typeof t & keyof typeof e): void => {
      if (t[field] !== e[field]) fail(`${at}.${field}`, key, `is ${JSON.stringify(t[field])}, the episode record says ${JSON.stringify(e[field])}`);
    };
    agree('taskId');
    agree('trial');
    agree('initIndex');
    agree('outcome');
    agree('error');
    agree('steps');
    if (t.maxSteps !== config.maxSteps) fail(`${at}.maxSteps`, key, `is ${t.maxSteps}, run ${run.id}'s maxSteps is ${config.maxSteps}`);
    const sceneName = sceneFileName(e.taskId);
    if (t.scene !== sceneName) fail(`${at}.scene`, key, `is "${t.scene}", the scene of task ${e.taskId} is "${sceneName}"`);
    if (t.chunks.length !== e.chunks.draftLayers.length) fail(`${at}.chunks`, key, `has ${t.chunks.length} chunks, the episode record ${e.chunks.draftLayers.length}`);
    t.chunks.forEach((c, i) => {
      if (c.draftLayers !== e.chunks.draftLayers[i]) fail(`${at}.chunks[${i}].draftLayers`, key, `is ${c.draftLayers}, the episode record says ${e.chunks.draftLayers[i]}`);
      if (c.acceptedLayers !== e.chunks.acceptedLayers[i]) fail(`${at}.chunks[${i}].acceptedLayers`, key, `is ${c.acceptedLayers}, the episode record says ${e.chunks.acceptedLayers[i]}`);
    });
    const bad = t.moving.findIndex((b) => b >= t.bodies);
    if (bad !== -1) fail(`${at}.moving[${bad}]`, key, `body ${t.moving[bad]} of ${t.bodies}`);
    const lengths: [keyof typeof t, string, number][] = [
      ['initialPoses', 'bodies x 7', t.bodies * 7],
      ['poses', '(steps + 1) x moving x 7', (t.steps + 1) * t.moving.length * 7],
      ['proprio', '(steps + 1) x 8', (t.steps + 1) * 8],
      ['actions', 'steps x 7', t.steps * 7],
    ];
    for (const [field, shape, expected] of lengths) {
      let count: number;
      try {
        count = decodeFloats(t[field] as string).length;
      } catch (error) {
        return fail(`${at}.${field}`, key, `not base64 float32 data (${error instanceof Error ? error.message : String(error)})`);
      }
      if (count !== expected) fail(`${at}.${field}`, key, `${count} values, expected ${expected} (${shape})`);
    }
    if (t.goal) {
      try {
        decodeGoal(t);
      } catch (error) {
        fail(`${at}.goal`, key, `${error instanceof Error ? error.message : String(error)} ((steps + 1) x atoms bytes, 0 or 1)`);
      }
    }
    const bodies = sceneBodies.get(sceneName);
    if (bodies !== undefined && bodies !== t.bodies) fail(`${at}.bodies`, key, `is ${t.bodies}, ${sceneName} describes ${bodies} bodies`);
    if (bodies === undefined && !(await run.hasScene(sceneName))) fail(`${at}.scene`, key, `${sceneName} is neither in ${batch.holder} nor in run ${run.id}`);
    if (t.cameras) {
      // The episode's camera file: its own name, in the batch, and image by image what the trajectory says.
      const wanted = episodeCamerasName(e.taskId, e.trial);
      if (t.cameras.file !== wanted) fail(`${at}.cameras.file`, key, `names "${t.cameras.file}"; the camera file of task ${e.taskId} trial ${e.trial} is "${wanted}"`);
      const bytes = batch.cameras.get(wanted);
      if (!bytes) return fail(`${at}.cameras.file`, key, `names ${wanted}, which ${batch.holder} does not hold`);
      try {
        await checkCameraFile(bytes, t.cameras);
      } catch (error) {
        if (!(error instanceof CameraFileError)) throw error;
        fail(error.where ? `${batch.camerasField(wanted)} ${error.where}` : batch.camerasField(wanted), key, error.detail);
      }
      cameras.set(wanted, bytes);
    }
    trajectories.set(e.trajectory, file.text ?? JSON.stringify(file.value));
  }
  for (const name of batch.cameras.keys()) if (!cameras.has(name)) fail(batch.camerasField(name), null, 'no trajectory of the batch names this camera file');
  return { episodes, episodeFields: episodes.map((_, i) => batch.episodeField(i)), trajectories, scenes, cameras };
}

/** Configuration fields that must be equal for episodes of another run to join this one. */
const SHARED_CONFIG = ['suite', 'seed', 'maxSteps', 'waitSteps', 'decoding', 'accept', 'threshold', 'depth', 'bundle', 'simulator'] as const;

/**
 * The first field where a source run's configuration differs from this run's in what defines its
 * episodes (suite, seed, step limits, decoding, acceptance, bundle, simulator, initial-state
 * source), or null. Tasks and trials may differ (a target runs a part), and so may what describes
 * the machine (machine, execution provider, a LIBERO checkout's location).
 */
export function configConflict(mine: RunConfig, theirs: RunConfig): { field: string; detail: string } | null {
  const differ = (field: string, a: unknown, b: unknown) => ({ field, detail: `is ${JSON.stringify(b)}, this run's is ${JSON.stringify(a)}` });
  for (const field of SHARED_CONFIG) {
    if (JSON.stringify(mine[field]) !== JSON.stringify(theirs[field])) return differ(`config.${field}`, mine[field], theirs[field]);
  }
  if (mine.initStates.source !== theirs.initStates.source) return differ('config.initStates.source', mine.initStates.source, theirs.initStates.source);
  return null;
}

export interface FolderEpisodes {
  /** Parsed complete lines, with their 1-based line numbers. */
  lines: { line: number; value: unknown }[];
  /** A last line not complete yet (in flight), or null. */
  dropped: string | null;
}

/**
 * Reads a run folder's episodes.jsonl as the store does: a last line that is not valid JSON (a
 * write in flight, or cut short by a crash) is left for later and reported; a bad line before it is
 * refused. Records are not checked here (planIngest does).
 */
export function readEpisodeLines(text: string, file: string, source: string): FolderEpisodes {
  const lines: FolderEpisodes['lines'] = [];
  const parts = text.split('\n');
  let last = parts.length - 1;
  while (last >= 0 && parts[last]!.trim() === '') last--;
  for (let i = 0; i <= last; i++) {
    const line = parts[i]!;
    if (line.trim() === '') continue;
    const isLast = i === last;
    try {
      lines.push({ line: i + 1, value: JSON.parse(line) });
    } catch (error) {
      if (isLast) return { lines, dropped: `${file} line ${i + 1}: left a last line that is not complete yet (${Buffer.byteLength(line)} bytes)` };
      throw new IngestError(source, `${file}:${i + 1}`, null, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return { lines, dropped: null };
}

async function readJsonFile(file: string, field: string, source: string): Promise<BatchFile | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IngestError(source, field, null, `cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    return { value: JSON.parse(text), text };
  } catch (error) {
    throw new IngestError(source, field, null, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * The batch a run folder holds beyond what this run has: its episodes.jsonl lines whose (task,
 * trial) the run lacks, the trajectories they name (read from the folder's trajectories/, bytes
 * kept), and the scene files of their tasks that the run lacks and the folder has.
 */
export async function prepareFolder(
  dir: string,
  episodesText: string,
  run: Pick<RunView, 'has' | 'hasScene'>,
  names: { episodes: string; trajectories: string },
  source: string,
): Promise<{ batch: PreparedBatch; skipped: number; dropped: string | null }> {
  const { lines, dropped } = readEpisodeLines(episodesText, names.episodes, source);
  const fresh: { line: number; value: unknown }[] = [];
  let skipped = 0;
  for (const l of lines) {
    const key = rawKey(l.value);
    if (key && run.has(key.taskId, key.trial)) skipped++;
    else fresh.push(l);
  }
  const trajectoryField = (name: string) => `${names.trajectories}/${name}`;
  const trajectories = new Map<string, BatchFile>();
  const scenes = new Map<string, BatchFile>();
  const cameras = new Map<string, Uint8Array>();
  for (const { value } of fresh) {
    const key = rawKey(value);
    const name = (value as { trajectory?: unknown } | null)?.trajectory;
    // Only the folder's own file of the episode is read; a record naming another is refused by planIngest.
    if (key && typeof name === 'string' && name === episodeTrajectoryName(key.taskId, key.trial) && !trajectories.has(name)) {
      const file = await readJsonFile(path.join(dir, names.trajectories, name), trajectoryField(name), source);
      if (file) trajectories.set(name, file);
      // Its camera file, when it names its own (planIngest refuses any other name).
      const camerasFile = (file?.value as { cameras?: { file?: unknown } } | null)?.cameras?.file;
      if (key && camerasFile === episodeCamerasName(key.taskId, key.trial)) {
        const bytes = await readFile(path.join(dir, names.trajectories, camerasFile)).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return null;
          throw new IngestError(source, trajectoryField(camerasFile), null, `cannot be read (${error.message})`);
        });
        if (bytes) cameras.set(camerasFile, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      }
    }
    if (key && typeof name === 'string') {
      const scene = sceneFileName(key.taskId);
      if (!scenes.has(scene) && !(await run.hasScene(scene))) {
        const file = await readJsonFile(path.join(dir, names.trajectories, scene), trajectoryField(scene), source);
        if (file) scenes.set(scene, file);
      }
    }
  }
  const lineOf = fresh.map((l) => l.line);
  return {
    batch: {
      episodes: fresh.map((l) => l.value),
      trajectories,
      scenes,
      cameras,
      holder: `${names.trajectories}/`,
      episodeField: (i) => `${names.episodes}:${lineOf[i]}`,
      trajectoryField,
      sceneField: trajectoryField,
      camerasField: trajectoryField,
    },
    skipped,
    dropped,
  };
}
