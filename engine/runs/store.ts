import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, mkdir, open, readdir, readFile, realpath, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dataDir } from '../settings/paths.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { notValidJson } from '../util/json-location.js';
import { EpisodeRecord, type Results, type RunInfo } from '../api/schemas/results.js';
import { RunConfig, type Machine } from '../api/schemas/run-config.js';
import { RunMeta, type RunLabels, type RunStatus, type StoredRunSummary } from '../api/schemas/runs.js';
import { percentile, wilson } from '../eval/metrics.js';
import { readLabels, writeLabel } from './labels.js';
import type { CameraRequest, SimulatorSpec } from '../api/schemas/run-request.js';
import { formatPath, ResultsError, summarize, validateResults } from './results-schema.js';
import { IngestError, planIngest, prepareBatch, prepareFolder, configConflict, type IngestBatch, type IngestFolderResult, type IngestPlan, type IngestResult, type RunView } from './ingest.js';
import { InputError } from '../util/input-error.js';
import { MiB, readTextFileSafely } from '../util/safe-read.js';
import { acquireRunLock, type AcquireOptions, type RunLock } from './lock.js';

/**
 * One directory per run under `<dataDir>/runs/` (docs/evaluation.md "The run store"):
 *
 * - `run.json`: configuration, status, versions, machine, timestamps; rewritten atomically on
 *   every status change.
 * - `episodes.jsonl`: one EpisodeRecord per line, appended and fsynced as each episode finishes,
 *   so a crash loses at most the episodes in flight (and at worst leaves a truncated last line,
 *   which resume drops and reports).
 * - `results.json`: summarize(...) of the episodes, written atomically when the run finishes.
 * - `trajectories/`: one file per episode, named by task and trial, and its camera images
 *   (`.mcap`) when any were recorded.
 * - `writer.lock`: held by the one process writing the run (engine/runs/lock.ts); createRun and
 *   resume take it, finish/cancel/fail and release() give it back. Readers ignore it.
 */

export const RUN_FILE = 'run.json';
export const EPISODES_FILE = 'episodes.jsonl';
export const RESULTS_FILE = 'results.json';
export const TRAJECTORIES_DIR = 'trajectories';

export interface EpisodeKey {
  taskId: number;
  trial: number;
}

export interface ResumeState {
  run: Run;
  /** Every finished episode, each once, in file order. */
  episodes: EpisodeRecord[];
  /** (task, trial) already finished: the runner skips these. */
  finished: EpisodeKey[];
  /** (task, trial) of the configuration still to run, in run order. */
  remaining: EpisodeKey[];
  /** What was dropped from episodes.jsonl (a truncated last line after a crash), or null. */
  dropped: string | null;
  /** Whose stale writer.lock was taken over (a writer killed mid-run), or null: for the run's log. */
  takenOver: string | null;
}

/** How a writer names itself in writer.lock (engine/runs/lock.ts). */
export type WriterOptions = Pick<AcquireOptions, 'command'>;

/** A run that does not exist or cannot be read, or a request the store refuses: input at fault. */
export class RunStoreError extends InputError {
  constructor(
    message: string,
    /** The input at fault: `run` (an id), `file` (an export target) or a file's path. */
    field = 'run',
  ) {
    super(field, message);
    this.name = 'RunStoreError';
  }
}

export function defaultRunsRoot(dir: string = dataDir()): string {
  return path.join(dir, 'runs');
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    os: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: Math.max(1, cpus.length),
    memoryBytes: os.totalmem(),
    node: process.versions.node,
  };
}

function workbenchVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function defaultVersions(): Record<string, string> {
  return { workbench: workbenchVersion(), node: process.versions.node, resultsFormat: '1' };
}

/** `20261125-105430-3fa9c1`: sorts by creation time, random tail against collisions. */
export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-25T10:54:30.123Z
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const keyOf = (e: EpisodeKey): string => `${e.taskId}/${e.trial}`;

/** Trajectory file name of an episode: `task03-trial007.json`. */
export function trajectoryName(taskId: number, trial: number): string {
  return `task${String(taskId).padStart(2, '0')}-trial${String(trial).padStart(3, '0')}.json`;
}

/** Camera file name of an episode (engine/runs/camera-file.ts): `task03-trial007.mcap`. */
export function camerasName(taskId: number, trial: number): string {
  return trajectoryName(taskId, trial).replace(/\.json$/, '.mcap');
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function checkId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new RunStoreError(`not a run id: "${id}"`);
}

interface ParsedEpisodes {
  episodes: EpisodeRecord[];
  /** Bytes of the file that hold complete, valid lines. */
  goodBytes: number;
  totalBytes: number;
  dropped: string | null;
}

/**
 * Reads episodes.jsonl. A last line that is unterminated or not valid JSON is what a crash
 * mid-write leaves: it is dropped and reported. A bad line anywhere else is corruption: an error
 * naming the line.
 */
function parseEpisodes(text: string, file: string): ParsedEpisodes {
  const bytes = Buffer.from(text, 'utf8');
  const episodes: EpisodeRecord[] = [];
  let offset = 0;
  let lineNo = 0;
  let dropped: string | null = null;
  while (offset < bytes.length) {
    lineNo++;
    const nl = bytes.indexOf(0x0a, offset);
    const end = nl === -1 ? bytes.length : nl;
    const line = bytes.subarray(offset, end).toString('utf8');
    const isLast = nl === -1 || nl + 1 >= bytes.length;
    if (line.trim() === '') {
      if (nl === -1) break;
      offset = nl + 1;
      continue;
    }
    let json: unknown;
    let parseError: string | null = null;
    try {
      json = JSON.parse(line);
    } catch (error) {
      parseError = error instanceof Error ? error.message : String(error);
    }
    if (isLast && (nl === -1 || parseError !== null)) {
      // Unterminated or unparsable last line: a write cut short.
      const parsed = parseError === null ? EpisodeRecord.safeParse(json) : null;
      if (parsed?.success && nl === -1) {
        // Complete JSON that only lacks its newline: keep it, the runner's fsync got the bytes.
        episodes.push(parsed.data);
        return { episodes, goodBytes: bytes.length, totalBytes: bytes.length, dropped: null };
      }
      dropped = `${file} line ${lineNo}: dropped a truncated last line (${bytes.length - offset} bytes), left by a crash mid-write`;
      return { episodes, goodBytes: offset, totalBytes: bytes.length, dropped };
    }
    if (parseError !== null) throw new RunStoreError(`${file} line ${lineNo}: not valid JSON (${parseError})`, file);
    const parsed = EpisodeRecord.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RunStoreError(`${file} line ${lineNo}: ${formatPath(issue.path) || '(record)'}: ${issue.message}`, file);
    }
    episodes.push(parsed.data);
    offset = end + 1;
  }
  return { episodes, goodBytes: bytes.length, totalBytes: bytes.length, dropped };
}

/** One run's directory. */
export class Run {
  private finishedKeys = new Set<string>();
  private appendChain: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private meta: RunMeta,
    finished: readonly EpisodeKey[] = [],
    /** The run's writer.lock when this Run writes it (createRun, resume); null for a Run opened to read. */
    private readonly lock: RunLock | null = null,
  ) {
    for (const key of finished) this.finishedKeys.add(keyOf(key));
  }

  /** @internal The lock, for a Run that continues this one's writing (RunStore.importResults). */
  get lockHeld(): RunLock | null {
    return this.lock;
  }

  /** Whether this Run holds the run's writer.lock (made by createRun or resume, not yet finished or released). */
  get writing(): boolean {
    return this.lock?.held ?? false;
  }

  /** Gives the run's writer.lock back (idempotent); finish, cancel and fail do. The Run writes no more. */
  async release(): Promise<void> {
    await this.appendChain;
    await this.lock?.release();
  }

  /** Refuses a write by a Run that does not hold the lock: one opened to read, or one released. */
  private writerCheck(): RunStoreError | null {
    if (this.writing) return null;
    return new RunStoreError(this.lock ? `run ${this.id}: this writer has released the run (finished, cancelled or failed): resume it to write` : `run ${this.id} was opened for reading: resume it to write`);
  }

  get id(): string {
    return this.meta.id;
  }
  get status(): RunStatus {
    return this.meta.status;
  }
  get config(): RunConfig {
    return this.meta.config;
  }
  get info(): Readonly<RunMeta> {
    return this.meta;
  }

  get episodesFile(): string {
    return path.join(this.dir, EPISODES_FILE);
  }
  get resultsFile(): string {
    return path.join(this.dir, RESULTS_FILE);
  }
  get trajectoriesDir(): string {
    return path.join(this.dir, TRAJECTORIES_DIR);
  }

  isFinished(taskId: number, trial: number): boolean {
    return this.finishedKeys.has(keyOf({ taskId, trial }));
  }

  /** Path of an episode's trajectory file (the runner writes it; see writeTrajectory). */
  trajectoryPath(taskId: number, trial: number): string {
    return path.join(this.trajectoriesDir, trajectoryName(taskId, trial));
  }

  /**
   * Writes an episode's camera file atomically and returns its name for the trajectory; written
   * before the trajectory that names it, so no trajectory ever names a file that is not there.
   */
  async writeCameras(taskId: number, trial: number, bytes: Uint8Array): Promise<string> {
    await writeFileAtomic(path.join(this.trajectoriesDir, camerasName(taskId, trial)), bytes);
    return camerasName(taskId, trial);
  }

  /** Writes an episode's trajectory atomically and returns its file name for the episode record. */
  async writeTrajectory(taskId: number, trial: number, trajectory: unknown): Promise<string> {
    await writeFileAtomic(this.trajectoryPath(taskId, trial), JSON.stringify(trajectory));
    return trajectoryName(taskId, trial);
  }

  /**
   * Appends one finished episode as a line of episodes.jsonl and fsyncs it before resolving.
   * Refuses an invalid record and a (task, trial) already recorded. Appends are serialised.
   */
  appendEpisode(record: EpisodeRecord): Promise<void> {
    const parsed = EpisodeRecord.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return Promise.reject(new RunStoreError(`episode record: ${formatPath(issue.path) || '(record)'}: ${issue.message}`, 'record'));
    }
    if (this.meta.status !== 'running') return Promise.reject(new RunStoreError(`run ${this.id} is ${this.meta.status}: no more episodes`));
    const notWriter = this.writerCheck();
    if (notWriter) return Promise.reject(notWriter);
    const key = keyOf(record);
    if (this.finishedKeys.has(key)) return Promise.reject(new RunStoreError(`run ${this.id}: task ${record.taskId} trial ${record.trial} is already recorded`));
    this.finishedKeys.add(key);
    return this.appendLines(JSON.stringify(parsed.data) + '\n').catch((error: unknown) => {
      this.finishedKeys.delete(key);
      throw error;
    });
  }

  /** Appends whole lines to episodes.jsonl in one write and fsyncs them; serialised with every other append. */
  private appendLines(lines: string): Promise<void> {
    const write = this.appendChain.then(async () => {
      const handle = await open(this.episodesFile, 'a');
      try {
        await handle.writeFile(lines, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    this.appendChain = write.catch(() => undefined);
    return write;
  }

  /**
   * Takes episodes produced elsewhere (another process, another machine), with their trajectories
   * and their tasks' scene files, into this run, validated like an import (engine/runs/ingest.ts,
   * planIngest): the whole batch is checked first and refused with an IngestError naming `source`,
   * the episode and the field, writing nothing. Then the trajectories and scenes are written
   * atomically and the episode lines appended and fsynced in one write, as the runner does: a crash
   * leaves at worst trajectory files without their episode line, never a line without its file.
   * The run must be running (a resumed run is); finish() then derives results.json as for local episodes.
   */
  async ingest(batch: IngestBatch, source: string): Promise<IngestResult> {
    this.checkIngesting(source);
    const prepared = prepareBatch(batch, source);
    return this.writeIngested(await planIngest(this.view(), prepared, source), source);
  }

  /**
   * ingest() of another run folder (a target's scratch run, made by a RunStore): the episodes of its
   * episodes.jsonl that this run does not have yet, with the trajectories they name and the scene
   * files of their tasks from its trajectories/. Its run.json's configuration must agree with this
   * run's in what defines an episode (configConflict); a last line still being written is left for
   * the next call. Call it again as the folder grows: each call takes only what is new.
   */
  async ingestFolder(dir: string, source: string = dir): Promise<IngestFolderResult> {
    this.checkIngesting(source);
    const metaText = await readFile(path.join(dir, RUN_FILE), 'utf8').catch((error: unknown) => {
      throw new IngestError(source, RUN_FILE, null, isNotFound(error) ? `${dir} is not a run folder (no ${RUN_FILE})` : `cannot be read (${(error as Error).message})`);
    });
    let metaJson: unknown;
    try {
      metaJson = JSON.parse(metaText);
    } catch (error) {
      throw new IngestError(source, RUN_FILE, null, `not valid JSON (${(error as Error).message})`);
    }
    const meta = RunMeta.safeParse(metaJson);
    if (!meta.success) {
      const issue = meta.error.issues[0]!;
      throw new IngestError(source, [RUN_FILE, formatPath(issue.path)].filter(Boolean).join('.'), null, issue.message);
    }
    const conflict = configConflict(this.meta.config, meta.data.config);
    if (conflict) throw new IngestError(source, `${RUN_FILE}.${conflict.field}`, null, conflict.detail);
    const text = await readFile(path.join(dir, EPISODES_FILE), 'utf8').catch((error: unknown) => {
      if (isNotFound(error)) return '';
      throw new IngestError(source, EPISODES_FILE, null, `cannot be read (${(error as Error).message})`);
    });
    const view = this.view();
    const { batch, skipped, dropped } = await prepareFolder(dir, text, view, { episodes: EPISODES_FILE, trajectories: TRAJECTORIES_DIR }, source);
    const { added } = await this.writeIngested(await planIngest(view, batch, source), source);
    return { added, skipped, dropped };
  }

  private checkIngesting(source: string): void {
    if (this.meta.status !== 'running') throw new IngestError(source, '(run)', null, `run ${this.id} is ${this.meta.status}: no more episodes (resume it first)`);
    const notWriter = this.writerCheck();
    if (notWriter) throw new IngestError(source, '(run)', null, notWriter.message);
  }

  private view(): RunView {
    return {
      id: this.meta.id,
      config: this.meta.config,
      has: (taskId, trial) => this.finishedKeys.has(keyOf({ taskId, trial })),
      hasScene: (name) => access(path.join(this.trajectoriesDir, name)).then(() => true, () => false),
    };
  }

  private async writeIngested(plan: IngestPlan, source: string): Promise<IngestResult> {
    if (plan.episodes.length === 0) return { added: 0 };
    // Checked again, synchronously, now that the checks' reads are done: an episode appended or
    // ingested meanwhile is refused here, and the batch's keys are taken before anything is written.
    this.checkIngesting(source);
    plan.episodes.forEach((e, i) => {
      if (this.finishedKeys.has(keyOf(e))) throw new IngestError(source, `${plan.episodeFields[i]}.trial`, { taskId: e.taskId, trial: e.trial }, `task ${e.taskId} trial ${e.trial} is already recorded in run ${this.id}`);
    });
    const keys = plan.episodes.map(keyOf);
    for (const key of keys) this.finishedKeys.add(key);
    try {
      for (const [name, text] of plan.scenes) {
        const file = path.join(this.trajectoriesDir, name);
        // Written once per task, as the runner does: a scene the run has by now is kept.
        if (!(await access(file).then(() => true, () => false))) await writeFileAtomic(file, text);
      }
      // Camera files before the trajectories that name them, as the runner writes them.
      for (const [name, bytes] of plan.cameras) await writeFileAtomic(path.join(this.trajectoriesDir, name), bytes);
      for (const [name, text] of plan.trajectories) await writeFileAtomic(path.join(this.trajectoriesDir, name), text);
      await this.appendLines(plan.episodes.map((e) => JSON.stringify(e) + '\n').join(''));
    } catch (error) {
      for (const key of keys) this.finishedKeys.delete(key);
      throw error;
    }
    return { added: plan.episodes.length };
  }

  /** Every episode recorded so far (after the pending appends). */
  async episodes(): Promise<EpisodeRecord[]> {
    await this.appendChain;
    let text: string;
    try {
      text = await readFile(this.episodesFile, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return parseEpisodes(text, EPISODES_FILE).episodes;
  }

  runInfo(): RunInfo {
    return { id: this.meta.id, status: this.meta.status, createdAt: this.meta.createdAt, finishedAt: this.meta.finishedAt };
  }

  /** The results of the episodes so far (for a finished run, what results.json holds). */
  async results(): Promise<Results> {
    return summarize(this.meta.config, await this.episodes(), this.runInfo());
  }

  /** Marks the run completed, writes results.json atomically and releases the run. */
  async finish(): Promise<Results> {
    return this.end('completed');
  }

  /** Marks the run cancelled; what finished stays, and results.json summarises it. Releases the run. */
  async cancel(): Promise<Results> {
    return this.end('cancelled');
  }

  private async end(status: 'completed' | 'cancelled'): Promise<Results> {
    const notWriter = this.writerCheck();
    if (notWriter) throw notWriter;
    await this.setStatus(status);
    const results = await this.results();
    await writeFileAtomic(this.resultsFile, JSON.stringify(results, null, 2) + '\n');
    await this.release();
    return results;
  }

  /** Marks the run failed with the message and releases the run. */
  async fail(message: string): Promise<void> {
    const notWriter = this.writerCheck();
    if (notWriter) throw notWriter;
    await this.setStatus('failed', message);
    await this.release();
  }

  /** Records the run's active time over its sessions in run.json (`activeSeconds`), status unchanged. */
  async recordActiveTime(seconds: number): Promise<void> {
    const notWriter = this.writerCheck();
    if (notWriter) throw notWriter;
    const next: RunMeta = { ...this.meta, activeSeconds: Math.round(seconds * 1000) / 1000 };
    await writeFileAtomic(path.join(this.dir, RUN_FILE), JSON.stringify(next, null, 2) + '\n');
    this.meta = next;
  }

  /** @internal Used by RunStore.resume. */
  async setStatus(status: RunStatus, error: string | null = null, finishedAt?: string | null): Promise<void> {
    const notWriter = this.writerCheck();
    if (notWriter) throw notWriter;
    await this.appendChain;
    const now = new Date().toISOString();
    const next: RunMeta = { ...this.meta, status, updatedAt: now, finishedAt: status === 'running' ? null : (finishedAt ?? now), error: status === 'failed' ? error : null };
    await writeFileAtomic(path.join(this.dir, RUN_FILE), JSON.stringify(next, null, 2) + '\n');
    this.meta = next;
  }
}

export class RunStore {
  constructor(readonly root: string = defaultRunsRoot()) {}

  private runDir(id: string): string {
    checkId(id);
    return path.join(this.root, id);
  }

  /** Creates `<root>/<id>/` with run.json (status running), an empty episodes.jsonl and trajectories/. */
  async createRun(config: RunConfig, options: { versions?: Record<string, string>; id?: string; now?: Date; bundleDir?: string; policyTimeoutMs?: number; simulator?: SimulatorSpec; recordCameras?: CameraRequest[] } & WriterOptions = {}): Promise<Run> {
    const parsed = RunConfig.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RunStoreError(`run configuration: ${formatPath(issue.path) || '(top level)'}: ${issue.message}`, 'config');
    }
    await mkdir(this.root, { recursive: true });
    const now = options.now ?? new Date();
    const id = options.id ?? newRunId(now);
    const dir = this.runDir(id);
    try {
      await mkdir(dir); // fails if the id is taken
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RunStoreError(`run ${id} already exists`);
      throw error;
    }
    // Taken before run.json exists: nobody can resume the run before its creator lets go of it.
    const lock = await acquireRunLock(dir, { runId: id, ...(options.command !== undefined ? { command: options.command } : {}) });
    try {
      return await this.initRun(dir, id, parsed.data, now, options, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private async initRun(dir: string, id: string, config: RunConfig, now: Date, options: { versions?: Record<string, string>; bundleDir?: string; policyTimeoutMs?: number; simulator?: SimulatorSpec; recordCameras?: CameraRequest[] }, lock: RunLock): Promise<Run> {
    await mkdir(path.join(dir, TRAJECTORIES_DIR));
    const stamp = now.toISOString();
    const meta: RunMeta = {
      formatVersion: 1,
      id,
      status: 'running',
      config,
      versions: options.versions ?? defaultVersions(),
      createdAt: stamp,
      updatedAt: stamp,
      finishedAt: null,
      error: null,
      ...(options.bundleDir !== undefined ? { bundleDir: options.bundleDir } : {}),
      ...(options.policyTimeoutMs !== undefined ? { policyTimeoutMs: options.policyTimeoutMs } : {}),
      ...(options.simulator !== undefined ? { simulator: options.simulator } : {}),
      ...(options.recordCameras?.length ? { recordCameras: options.recordCameras } : {}),
    };
    await writeFileAtomic(path.join(dir, RUN_FILE), JSON.stringify(meta, null, 2) + '\n');
    const handle = await open(path.join(dir, EPISODES_FILE), 'a');
    await handle.sync();
    await handle.close();
    return new Run(dir, meta, [], lock);
  }

  private async readMeta(id: string): Promise<RunMeta> {
    const file = path.join(this.runDir(id), RUN_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isNotFound(error)) throw new RunStoreError(`no run "${id}" in ${this.root}`);
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new RunStoreError(`${file}: not valid JSON (${(error as Error).message})`, file);
    }
    const parsed = RunMeta.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RunStoreError(`${id}/${RUN_FILE}: ${formatPath(issue.path) || '(top level)'}: ${issue.message}`, file);
    }
    return parsed.data;
  }

  /** Opens an existing run (read its episodes, results, or append if still running). */
  async open(id: string): Promise<Run> {
    const meta = await this.readMeta(id);
    const run = new Run(this.runDir(id), meta);
    const episodes = await run.episodes();
    return new Run(run.dir, meta, episodes);
  }

  /** Runs with their status and a configuration summary, newest first; unreadable ones skipped. */
  async list(): Promise<StoredRunSummary[]> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const out: StoredRunSummary[] = [];
    for (const name of names) {
      let meta: RunMeta;
      let episodes: EpisodeRecord[];
      try {
        meta = await this.readMeta(name);
        episodes = await new Run(this.runDir(name), meta).episodes();
      } catch {
        continue;
      }
      const c = meta.config;
      const labels = await readLabels(this.runDir(name));
      const successes = episodes.filter((e) => e.outcome === 'success').length;
      const chunkMs = episodes.flatMap((e) => e.chunks.latency.totalMs);
      out.push({
        id: meta.id,
        ...(labels.name ? { name: labels.name } : {}),
        ...(labels.note ? { note: labels.note } : {}),
        ...(meta.importedFrom ? { importedFrom: meta.importedFrom } : {}),
        status: meta.status,
        createdAt: meta.createdAt,
        finishedAt: meta.finishedAt,
        suite: c.suite,
        tasks: c.tasks,
        trials: c.trials,
        decoding: c.decoding,
        accept: c.accept,
        threshold: c.threshold,
        ...(c.depth ? { depth: c.depth } : {}),
        bundle: c.bundle.name,
        executionProvider: c.executionProvider.used,
        ...(c.policy ? { server: c.policy.url } : {}),
        simulator: `${c.simulator.backend} ${c.simulator.version}`,
        successes,
        wilson95: wilson(successes, episodes.length),
        medianChunkMs: chunkMs.length > 0 ? percentile(chunkMs, 50) : null,
        episodesDone: episodes.length,
        episodesPlanned: c.tasks.length * c.trials,
      });
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /** A run's labels (labels.json): the user's name and note for it. */
  async labels(id: string): Promise<RunLabels> {
    await this.readMeta(id);
    return readLabels(this.runDir(id));
  }

  /** Names the run ("" puts its id back); kept in labels.json beside run.json. Returns the labels now. */
  rename(id: string, name: string): Promise<RunLabels> {
    return this.relabel(id, 'name', name);
  }

  /** Sets the run's note ("" removes it). Returns the labels now. */
  setNote(id: string, note: string): Promise<RunLabels> {
    return this.relabel(id, 'note', note);
  }

  private labelWrites: Promise<unknown> = Promise.resolve();

  /** One label change at a time, so that a rename and a note at once both land (read, change, write). */
  private relabel(id: string, field: keyof RunLabels, value: string): Promise<RunLabels> {
    const next = this.labelWrites.then(async () => {
      await this.readMeta(id);
      return writeLabel(this.runDir(id), field, value);
    });
    this.labelWrites = next.catch(() => undefined);
    return next;
  }

  /**
   * Deletes a run's folder and every file in it (results, episodes, trajectories, camera files,
   * labels). Refused with RunLockedError while a writer holds its writer.lock (a run in progress,
   * here or in another process): the lock is taken first, so no writer can start meanwhile.
   */
  async deleteRun(id: string): Promise<{ dir: string }> {
    await this.readMeta(id); // "no run" before anything
    const dir = this.runDir(id);
    const lock = await acquireRunLock(dir, { runId: id, command: 'delete' });
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      await lock.release();
      throw error;
    }
    return { dir };
  }

  /**
   * Continues an interrupted run: reads episodes.jsonl (a truncated last line is dropped, cut off
   * the file so the next append starts on a fresh line, and reported), marks the run running, and
   * says which (task, trial) are finished and which remain. Takes the run's writer.lock first
   * (RunLockedError while another process writes the run; a stale one is taken over and reported
   * in `takenOver`), or uses `options.lock` when the caller took it already (lockRun); the returned
   * Run holds it until finish, cancel, fail or release.
   */
  async resume(id: string, options: WriterOptions & { lock?: RunLock } = {}): Promise<ResumeState> {
    await this.readMeta(id); // "no run" before any lock
    const lock = options.lock ?? (await this.lockRun(id, options));
    try {
      return await this.resumeLocked(id, lock);
    } catch (error) {
      if (!options.lock) await lock.release();
      throw error;
    }
  }

  /**
   * Takes an existing run's writer.lock (RunLockedError naming the holder while another process
   * writes it), for a caller that wants to be refused before slower work and then resume(id, {lock}).
   */
  async lockRun(id: string, options: WriterOptions = {}): Promise<RunLock> {
    await this.readMeta(id);
    return acquireRunLock(this.runDir(id), { runId: id, ...(options.command !== undefined ? { command: options.command } : {}) });
  }

  private async resumeLocked(id: string, lock: RunLock): Promise<ResumeState> {
    // Read again under the lock: the previous writer may have finished the run meanwhile.
    const meta = await this.readMeta(id);
    const dir = this.runDir(id);
    const file = path.join(dir, EPISODES_FILE);
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const parsed = parseEpisodes(text, EPISODES_FILE);
    if (parsed.goodBytes < parsed.totalBytes) await truncate(file, parsed.goodBytes);
    else if (parsed.totalBytes > 0 && !text.endsWith('\n')) {
      const handle = await open(file, 'a');
      await handle.writeFile('\n');
      await handle.sync();
      await handle.close();
    }
    const seen = new Set<string>();
    const episodes: EpisodeRecord[] = [];
    for (const e of parsed.episodes) {
      if (seen.has(keyOf(e))) continue; // never written twice by appendEpisode; tolerate anyway
      seen.add(keyOf(e));
      episodes.push(e);
    }
    const run = new Run(dir, meta, episodes, lock);
    if (meta.status !== 'running') await run.setStatus('running');
    const remaining: EpisodeKey[] = [];
    for (const taskId of meta.config.tasks) for (let trial = 0; trial < meta.config.trials; trial++) if (!seen.has(keyOf({ taskId, trial }))) remaining.push({ taskId, trial });
    return { run, episodes, finished: episodes.map((e) => ({ taskId: e.taskId, trial: e.trial })), remaining, dropped: parsed.dropped, takenOver: lock.takenOver };
  }

  /**
   * Writes a run's results (results.json if finished, else a summary of what finished) to a file.
   * Refuses (RunStoreError, field `file`) a file whose folder does not exist (it creates no
   * folders), a folder, and a file inside a run's folder of this store (a run's own results.json,
   * episodes.jsonl or run.json would be overwritten).
   */
  async exportRun(id: string, file: string): Promise<Results> {
    const run = await this.open(id);
    const target = await this.exportTarget(file);
    const results = await run.results();
    await writeFileAtomic(target, JSON.stringify(results, null, 2) + '\n');
    return results;
  }

  /** The real path `exportRun` may write, or a RunStoreError saying why not. */
  private async exportTarget(file: string): Promise<string> {
    const resolved = path.resolve(file);
    const folder = path.dirname(resolved);
    const refuse = (why: string): never => {
      throw new RunStoreError(`cannot export to ${resolved}: ${why}`, 'file');
    };
    const folderStat = await stat(folder).catch(() => null);
    if (!folderStat) refuse(`the folder ${folder} does not exist (create it first)`);
    if (!folderStat!.isDirectory()) refuse(`${folder} is not a folder`);
    const target = path.join(await realpath(folder), path.basename(resolved));
    if ((await stat(target).catch(() => null))?.isDirectory()) refuse('it is a folder; name a file');
    const root = await realpath(this.root).catch(() => path.resolve(this.root));
    const inside = path.relative(root, target).split(path.sep);
    if (inside.length >= 2 && inside[0] !== '..' && !path.isAbsolute(inside[0]!) && (await stat(path.join(root, inside[0]!, RUN_FILE)).catch(() => null))) {
      refuse(`it is inside run ${inside[0]}'s folder in the run store, whose files it would overwrite; export to a file outside ${root}`);
    }
    return target;
  }

  /**
   * Imports a results file as a new run, refusing a bad one with a ResultsError that names the
   * first problem's field. The run keeps the file's id unless that id is taken here.
   */
  async importResults(file: string): Promise<Run> {
    let text: string;
    try {
      text = await readTextFileSafely(file, 256 * MiB);
    } catch (error) {
      throw new ResultsError('', `${file}: cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
    return this.importResultsText(text, file);
  }

  /** importResults for text already read (the browser's file picker); `file` names it in messages. */
  async importResultsText(text: string, file: string): Promise<Run> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // The place only: JSON.parse's message quotes the text, and a message never echoes a file.
      throw new ResultsError('', `${file}: ${notValidJson(text)}`);
    }
    const results = validateResults(json);
    const wanted = results.run?.id;
    let id = newRunId();
    if (wanted && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(wanted)) {
      const taken = await readFile(path.join(this.root, wanted, RUN_FILE)).then(
        () => true,
        () => false,
      );
      if (!taken) id = wanted;
    }
    const created = results.run ? new Date(results.run.createdAt) : new Date();
    const run = await this.createRun(results.config, { id, now: Number.isNaN(created.getTime()) ? new Date() : created });
    try {
      return await this.fillImported(run, results, file);
    } finally {
      await run.release();
    }
  }

  private async fillImported(run: Run, results: Results, file: string): Promise<Run> {
    const lines = results.episodes.map((e) => JSON.stringify(e) + '\n').join('');
    const handle = await open(run.episodesFile, 'a');
    await handle.writeFile(lines, 'utf8');
    await handle.sync();
    await handle.close();
    const status = results.run?.status === 'running' || !results.run ? 'completed' : results.run.status;
    const meta = { ...run.info, importedFrom: path.isAbsolute(file) || file.includes(path.sep) ? path.resolve(file) : file };
    const imported = new Run(run.dir, meta, results.episodes, run.lockHeld);
    // Keep the original finish time, so the imported run's results equal the file's.
    await imported.setStatus(status, null, results.run?.status === status ? results.run.finishedAt : null);
    await writeFileAtomic(imported.resultsFile, JSON.stringify(await imported.results(), null, 2) + '\n');
    return imported;
  }
}
