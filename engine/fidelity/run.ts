import path from 'node:path';
import {
  FIDELITY_FORMAT,
  type ClosedLoopPairing,
  type FidelityEpisode,
  type FidelityReport,
  type FidelitySource,
  type FixtureMode,
  type FixtureOffset,
} from '../api/schemas/fidelity.js';
import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import { taskContext } from '../eval/plan.js';
import { projectTask } from '../libero/project-tasks.js';
import { NUM_WAIT_STEPS, type SuiteName } from '../libero/suites.js';
import type { TaskSpec } from '../libero/task.js';
import { createPolicy, type BundleSpec } from '../policy/factory.js';
import type { Policy } from '../policy/policy.js';
import { defaultVersions, machineInfo } from '../runs/store.js';
import type { EmbeddedOptions } from '../sim/embedded/physics.js';
import { embeddedPhysics, EmbeddedSimulator } from '../sim/embedded/simulator.js';
import { createSimulator } from '../sim/factory.js';
import { initSourceName, initStatesFor, type InitSource } from '../sim/init-source.js';
import type { Simulator } from '../sim/simulator.js';
import { packageVersion } from '../util/packages.js';
import { CHECKPOINTS, compareTracks, movedObjectIndex, outcomeOf, roundMetres, succeeded, summarizeEpisodes } from './compare.js';
import { referenceFixtures, type BodyFrames, type ReferenceFixtures } from './fixtures.js';
import { recordSource, type Recording, type SourceDriver, type SourceEpisode } from './record.js';
import { replayActions } from './replay.js';
import type { Track } from './track.js';
import { newReportId } from './store.js';

/**
 * The fidelity report, end to end (docs/libero-bridge.md "Fidelity report"): for each task and
 * initial state of LIBERO's files, each SOURCE (the scripted expert, the bundle) runs closed loop
 * in the embedded simulator, recording its actions; the same actions replay open loop in the
 * reference backend (whatever `createSimulator(reference)` makes: real LIBERO, or the embedded
 * simulator itself for a self-check), and, with fixture mode `reference`, once more in the
 * embedded simulator with the fixtures where the reference's reset put them. Each embedded track
 * is compared with the reference's (compare.ts). The caller writes the report (store.ts).
 *
 * `createSimulator(reference)` is the only call that depends on the reference's kind.
 */

export interface FidelityOptions {
  suite: SuiteName;
  tasks: readonly number[];
  /** Initial states by index, the same for every task. */
  initIndices: readonly number[];
  /** Where the initial states come from: LIBERO's files (`{kind: 'libero', dir}`). */
  initSource: InitSource;
  sources: readonly FidelitySource[];
  fixtures: readonly FixtureMode[];
  /** Policy steps at most (the suite's limit by default, decided by the caller). */
  maxSteps: number;
  reference: SimulatorSpec;
  /** The bundle driving the `bundle` source; required with it. */
  bundle: BundleSpec | null;
  /** The runner's seed: the per-episode random streams of sampled decoding (greedy ignores them). */
  seed: number;
  /** Two evaluation runs already paired (closed-loop.ts), or null. */
  closedLoop: ClosedLoopPairing | null;
}

export interface FidelityProgress {
  done: number;
  total: number;
  episode: FidelityEpisode;
}

export interface FidelityHooks {
  signal?: AbortSignal;
  onEpisode?(progress: FidelityProgress): void;
  /** Makes the reference simulator; default the factory (tests substitute). */
  createSimulator?(spec: SimulatorSpec): Promise<Simulator>;
  /** A line of progress that is not an episode (loading, starting the reference). */
  onLog?(line: string): void;
}

/** Sessions of the bundle's policy: one thread, as the expert's workers use (this is one loop). */
const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1 };

export async function runFidelity(options: FidelityOptions, hooks: FidelityHooks = {}): Promise<FidelityReport> {
  const started = performance.now();
  const createdAt = new Date();
  const log = (line: string): void => hooks.onLog?.(line);
  const plan = planTasks(options);
  const episodes: FidelityEpisode[] = [];
  let cancelled = false;
  let policy: Policy | null = null;
  let embedded: EmbeddedSimulator | null = null;
  let reference: Simulator | null = null;
  let referenceInfo: { backend: string; version: string } = { backend: options.reference.kind, version: 'not started' };
  const embeddedInfo = { backend: 'embedded', version: `MuJoCo ${packageVersion('@mujoco/mujoco')}` };
  try {
    if (options.sources.length > 0) {
      // The reference first: the likeliest to fail (an interpreter, a LIBERO install), and the slowest to start.
      log(`starting the ${options.reference.kind} simulator`);
      reference = await (hooks.createSimulator ?? createSimulator)(options.reference);
      referenceInfo = { backend: reference.backend, version: reference.version };
      if (options.sources.includes('bundle')) {
        if (!options.bundle) throw new Error('the bundle source needs a bundle');
        log(`loading the bundle ${options.bundle.dir}`);
        policy = await createPolicy(options.bundle, { seed: options.seed, sessionOptions: SESSION_OPTIONS });
        policy.check(plan.map((p) => taskContext(options.suite, p.taskId, p.task)));
        policy.reset();
      }
      embedded = await EmbeddedSimulator.create();
      embeddedInfo.version = embedded.version;
      const total = plan.length * options.initIndices.length * options.sources.length * options.fixtures.length;
      episodes: for (const p of plan) {
        const context = taskContext(options.suite, p.taskId, p.task);
        const moved = movedObjectIndex(p.task);
        const scene: SceneCache = { embedded: null, reference: null };
        for (const initIndex of options.initIndices) {
          const episode: SourceEpisode = { suite: options.suite, taskId: p.taskId, task: p.task, initIndex, init: p.states[initIndex]! };
          for (const source of options.sources) {
            if (hooks.signal?.aborted) {
              cancelled = true;
              break episodes;
            }
            const driver: SourceDriver = source === 'expert' ? { kind: 'expert' } : { kind: 'bundle', policy: policy!, context, seed: options.seed };
            const compared = await compareEpisode(embedded, reference, episode, driver, options, scene);
            for (const mode of options.fixtures) {
              const track = mode === 'default' ? compared.recording.track : compared.withReferenceFixtures!;
              const row = episodeRow(source, mode, episode, track, compared.reference, moved, compared.fixtures?.offsets ?? []);
              episodes.push(row);
              hooks.onEpisode?.({ done: episodes.length, total, episode: row });
            }
          }
        }
      }
    }
  } finally {
    await policy?.close().catch(() => undefined);
    await embedded?.close().catch(() => undefined);
    await reference?.close().catch(() => undefined);
  }
  const bundleMeta = policy?.metadata;
  const versions: Record<string, string> = { ...defaultVersions(), mujoco: packageVersion('@mujoco/mujoco') };
  delete versions.resultsFormat;
  if (policy) versions.onnxruntime = onnxRuntimeVersion();
  return {
    format: FIDELITY_FORMAT,
    id: newReportId(createdAt),
    createdAt: createdAt.toISOString(),
    status: cancelled ? 'cancelled' : 'completed',
    suite: options.suite,
    tasks: [...options.tasks],
    initIndices: [...options.initIndices],
    initStates: options.initSource.kind === 'libero' ? { source: 'libero', location: options.initSource.dir ?? null } : { source: 'project', location: options.initSource.root ?? null },
    sources: [...options.sources],
    fixtures: [...options.fixtures],
    waitSteps: NUM_WAIT_STEPS,
    maxSteps: options.maxSteps,
    checkpoints: [...CHECKPOINTS],
    embedded: embeddedInfo,
    reference: referenceInfo,
    bundle: bundleMeta && options.bundle ? { name: bundleMeta.name, hash: bundleMeta.hash, dir: path.resolve(options.bundle.dir), decoding: bundleMeta.decoding.strategy } : null,
    versions,
    machine: machineInfo(),
    wallMs: performance.now() - started,
    groups: summarizeEpisodes(episodes, { sources: options.sources, fixtures: options.fixtures, tasks: options.tasks }, NUM_WAIT_STEPS),
    closedLoop: options.closedLoop,
    episodes,
  };
}

interface PlannedTask {
  taskId: number;
  task: TaskSpec;
  states: ReturnType<typeof initStatesFor>;
}

/** Each task's spec and initial states, all read before anything runs (a missing file fails first). */
function planTasks(options: FidelityOptions): PlannedTask[] {
  if (options.sources.length === 0) return [];
  const need = Math.max(...options.initIndices) + 1;
  return options.tasks.map((taskId) => {
    const task = projectTask(options.suite, taskId);
    const states = initStatesFor(options.suite, taskId, task.objects.length, options.initSource);
    if (states.length < need) throw new Error(`${options.suite} task ${taskId} has ${states.length} initial states in ${initSourceName(options.initSource)}, fewer than the ${need} asked for`);
    return { taskId, task, states };
  });
}

/** Body names of the current task's scenes, read once per task. */
interface SceneCache {
  embedded: string[] | null;
  reference: string[] | null;
}

interface ComparedEpisode {
  recording: Recording;
  reference: Track;
  /** The reference's fixture poses after its reset (null when its reset failed). */
  fixtures: ReferenceFixtures | null;
  /** The actions replayed in the embedded simulator with those fixtures (fixture mode `reference`). */
  withReferenceFixtures: Track | null;
}

async function compareEpisode(embedded: EmbeddedSimulator, reference: Simulator, episode: SourceEpisode, driver: SourceDriver, options: FidelityOptions, scene: SceneCache): Promise<ComparedEpisode> {
  // The embedded scene after a reset, default fixtures: where the reference's fixtures are measured from.
  await embedded.reset(episode.task, episode.init);
  scene.embedded ??= (await embedded.sceneDescription()).bodies;
  const embeddedFrames: BodyFrames = { bodies: scene.embedded, poses: await embedded.bodyPoses() };
  const defaults = embeddedPhysics(embedded, 'the fidelity report').scene.fixturePlacement;

  const recording = await recordSource(embedded, episode, options.maxSteps, driver);
  let fixtures: ReferenceFixtures | null = null;
  const referenceTrack = await replayActions(reference, episode.task, episode.init, recording.actions, {
    waitSteps: NUM_WAIT_STEPS,
    initIndex: episode.initIndex,
    afterReset: async () => {
      scene.reference ??= (await reference.sceneDescription()).bodies;
      fixtures = referenceFixtures(Object.keys(defaults), { bodies: scene.reference, poses: await reference.bodyPoses() }, embeddedFrames, defaults);
    },
  });
  let withReferenceFixtures: Track | null = null;
  if (options.fixtures.includes('reference')) {
    const found = fixtures as ReferenceFixtures | null;
    // No fixture poses (the reference's reset failed): the embedded defaults, that is the recording.
    withReferenceFixtures = found ? await replayEmbedded({ fixturePlacement: found.placement }, episode, recording.actions) : recording.track;
  }
  return { recording, reference: referenceTrack, fixtures, withReferenceFixtures };
}

/** The actions in a fresh embedded simulator with these options (its own compiled scene). */
async function replayEmbedded(options: EmbeddedOptions, episode: SourceEpisode, actions: readonly number[][]): Promise<Track> {
  const sim = await EmbeddedSimulator.create(options);
  try {
    return await replayActions(sim, episode.task, episode.init, actions, { waitSteps: NUM_WAIT_STEPS, initIndex: episode.initIndex });
  } finally {
    await sim.close();
  }
}

function episodeRow(source: FidelitySource, fixtures: FixtureMode, episode: SourceEpisode, embedded: Track, reference: Track, moved: number | null, offsets: FixtureOffset[]): FidelityEpisode {
  const d = compareTracks(embedded, reference, moved);
  const e = outcomeOf(embedded);
  const r = outcomeOf(reference);
  return {
    source,
    fixtures,
    taskId: episode.taskId,
    initIndex: episode.initIndex,
    embedded: e,
    reference: r,
    agree: succeeded(e) === succeeded(r),
    comparedSteps: d.comparedSteps,
    eefMax: roundMetres(d.eefMax),
    objectMax: roundMetres(d.objectMax),
    finalObjectError: d.finalObjectError === null ? null : roundMetres(d.finalObjectError),
    fixtureOffsets: offsets.map((o) => ({ ...o, position: o.position === null ? null : roundMetres(o.position), angle: o.angle === null ? null : Number(o.angle.toFixed(7)) })),
    eefError: d.eefError.map(roundMetres),
    objectError: d.objectError.map(roundMetres),
  };
}
