import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { CameraRequest, PolicyRequest, RunRequest, SimulatorSpec, TargetSpec } from '../api/schemas/run-request.js';
import type { Settings } from '../api/settings.js';
import type { BundleSpec, PolicySpec, RemoteSpec } from '../policy/factory.js';
import { DEFAULT_TIMEOUT_MS } from '../policy/remote/remote-policy.js';
import { loadProfile } from '../policy/remote/profile.js';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import { MAX_STEPS, NUM_WAIT_STEPS, suiteName, suiteTasks, type SuiteName } from '../libero/suites.js';
import type { RunConfig } from '../api/schemas/run-config.js';
import { RunStore } from '../runs/store.js';
import type { InitSource } from '../sim/init-source.js';
import { LIBERO_DIR_ENV } from '../libero/libero-dir.js';
import { describePython, liberoPythonChoice, liberoRoot, type LiberoPythonChoice } from '../sim/libero/python.js';

export type { PolicySpec };
import { resolveSimulatorSpec } from '../sim/factory.js';
import { physicsRequest } from '../sim/embedded/physics-choice.js';
import { boundedWorkers, checkMaxSteps, checkTasks, checkTrials, checkWorkers } from './bounds.js';
import { defaultWorkers, RUN_DEFAULTS } from './defaults.js';
import { EvalError } from './errors.js';
import { assertRunsRoot } from './runs-root.js';

/**
 * The one resolver of a run's configuration: a request (the CLI's flags, the Run page's form, an
 * Electron window's call), the user's settings and the defaults (defaults.ts) become a
 * `ResolvedRun`, every field decided and within the machine's bounds (bounds.ts), each refusal an
 * EvalError naming the field. The CLI and the
 * engine host (behind `rsd serve` and Electron alike) call it; the runner and the execution
 * targets take only its result.
 */

export interface ResolvedRun {
  suite: SuiteName;
  tasks: number[];
  trials: number;
  seed: number;
  maxSteps: number;
  waitSteps: number;
  initSource: InitSource;
  simulator: SimulatorSpec;
  policy: PolicySpec;
  target: TargetSpec;
  workers: number;
  debug: boolean;
  runsRoot: string;
  /** Continue this run (its configuration came from its run.json). */
  resume: string | null;
  /** Cameras to record besides the policy's (the simulator renders the union); absent: none. */
  recordCameras?: CameraRequest[];
  /** Lines for the run's log from resolving it (why `physics: auto` runs the wasm build). */
  notes?: string[];
}

export interface ResolveContext {
  /** A remote policy's API key for a resumed run (never stored with a run). */
  apiKey?: string;
  /** The user's settings (settings.json); null: none apply. */
  settings: (Pick<Settings, 'bundleDir' | 'liberoDir' | 'decoding'> & Partial<Pick<Settings, 'liberoPython'>>) | null;
  runsRoot: string;
  /** The environment ($RSD_LIBERO_PYTHON, $RSD_LIBERO_DIR); default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * The LIBERO folder of an interpreter, for a libero run with no LIBERO folder set; default
   * engine/sim/libero/python.ts's `liberoRoot` (runs the interpreter).
   */
  liberoRoot?: (python: LiberoPythonChoice, env: NodeJS.ProcessEnv) => Promise<string>;
}

export async function resolveRun(request: RunRequest, context: ResolveContext): Promise<ResolvedRun> {
  const suite = field('suite', () => suiteName(request.suite ?? RUN_DEFAULTS.suite));
  const debug = request.debug ?? false;
  const tasks = checkTasks(request.tasks ?? suiteTasks(suite).map((t) => t.id), suite);
  const trials = checkTrials(debug ? 1 : (request.trials ?? RUN_DEFAULTS.trials));
  const maxSteps = checkMaxSteps(request.maxSteps ?? MAX_STEPS[suite], suite);
  const workers = debug ? 1 : request.workers !== undefined ? checkWorkers(request.workers) : boundedWorkers(defaultWorkers());
  await assertRunsRoot(context.runsRoot);
  const env = context.env ?? process.env;
  const python = request.simulator?.kind === 'libero' ? liberoPythonChoice(context.settings, env, request.simulator.python) : null;
  // A path that is not there fails now, not in every simulator worker (a bare name is looked up on PATH when it starts).
  if (python && /[/\\]/.test(python.python) && !existsSync(python.python)) throw new EvalError('sim', `${describePython(python)} does not exist`);
  const notes: string[] = [];
  const simulator = python ? { kind: 'libero' as const, python: python.python } : await embeddedPhysics(request.simulator ?? RUN_DEFAULTS.simulator, env, notes);
  return {
    suite,
    tasks: debug ? tasks.slice(0, 1) : tasks,
    trials,
    seed: request.seed ?? RUN_DEFAULTS.seed,
    maxSteps,
    waitSteps: NUM_WAIT_STEPS,
    initSource: await initSource(request.initStates, python, context, env),
    simulator,
    policy: await policySpec(request.policy ?? { kind: 'bundle' }, context.settings),
    target: request.target ?? RUN_DEFAULTS.target,
    workers,
    debug,
    runsRoot: context.runsRoot,
    resume: null,
    ...(request.recordCameras?.length ? { recordCameras: request.recordCameras.map((c) => ({ ...c })) } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * The embedded simulator's physics build, resolved now (request, else $RSD_PHYSICS, else wasm) so
 * the workers and results.json name the build that runs: `native` that cannot load fails the run
 * here, `auto` falls back to wasm with a note for the log. `wasm` stays implicit in the spec.
 */
async function embeddedPhysics(spec: SimulatorSpec, env: NodeJS.ProcessEnv, notes: string[]): Promise<SimulatorSpec> {
  if (spec.kind !== 'embedded') return spec;
  const { request, from } = spec.physics ? { request: spec.physics, from: 'physics' } : physicsRequest(undefined, env);
  const resolved = await resolveSimulatorSpec({ ...spec, physics: request }, (line) => notes.push(line), from, env);
  return resolved.kind === 'embedded' && resolved.physics === 'native' ? resolved : { kind: 'embedded' };
}

/**
 * A run to continue: its configuration as run.json recorded it (the request's choices are not
 * asked again), its policy from the bundle folder it ran (the runner checks the bundle's hash).
 */
export async function resolveResume(id: string, context: Pick<ResolveContext, 'runsRoot'> & Partial<Pick<ResolveContext, 'settings' | 'env' | 'apiKey'>> & { workers?: number; debug?: boolean }): Promise<ResolvedRun> {
  const info = (await new RunStore(context.runsRoot).open(id)).info;
  const c: RunConfig = info.config;
  return {
    suite: c.suite,
    tasks: [...c.tasks],
    trials: c.trials,
    seed: c.seed,
    maxSteps: c.maxSteps,
    waitSteps: c.waitSteps,
    initSource: c.initStates.source === 'libero' ? { kind: 'libero', ...(c.initStates.location ? { dir: c.initStates.location } : {}) } : RUN_DEFAULTS.initSource,
    simulator: resumedSimulator(info.simulator, c.simulator.backend, context.settings ?? null, context.env ?? process.env),
    policy: resumedPolicy(id, info, context.apiKey),
    target: RUN_DEFAULTS.target,
    workers: context.debug ? 1 : context.workers !== undefined ? checkWorkers(context.workers) : boundedWorkers(defaultWorkers()),
    debug: context.debug ?? false,
    runsRoot: context.runsRoot,
    resume: id,
    ...(info.recordCameras?.length ? { recordCameras: info.recordCameras.map((c) => ({ ...c })) } : {}),
  };
}

/**
 * The policy of a resumed run: the bundle folder it ran (the runner checks its hash), or the policy
 * server it asked, with the same profile and time limit (the runner checks the server's hash).
 */
function resumedPolicy(id: string, info: Awaited<ReturnType<RunStore['open']>>['info'], apiKey: string | undefined): PolicySpec {
  const c = info.config;
  if (c.policy?.kind === 'remote') {
    return { kind: 'remote', url: c.policy.url, profile: c.policy.profile, timeoutMs: info.policyTimeoutMs ?? DEFAULT_TIMEOUT_MS, ...(apiKey ? { apiKey } : {}) };
  }
  if (!info.bundleDir) throw new EvalError('resume', `run ${id} does not record its bundle folder, so it cannot be resumed`);
  if (c.executionProvider.requested === 'remote') throw new EvalError('resume', `run ${id} ran a policy server but its configuration does not say which, so it cannot be resumed`);
  return {
    kind: 'bundle',
    dir: info.bundleDir,
    decoding: c.decoding,
    ...(c.accept ? { accept: c.accept } : {}),
    ...(c.threshold !== null ? { threshold: c.threshold } : {}),
    ...(c.depth ? { layers: c.depth.layers } : {}),
    ep: c.executionProvider.requested,
  };
}

/** A policy server's request resolved: its address checked, a named profile loaded now (so a bad one fails before anything connects). */
function remoteSpec(request: Extract<PolicyRequest, { kind: 'remote' }>): RemoteSpec {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new EvalError('policy', `"${request.url}" is not a valid address; expected one such as ws://127.0.0.1:8000`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new EvalError('policy', `"${request.url}" is not a ws:// or wss:// address`);
  return {
    kind: 'remote',
    url: request.url,
    ...(request.profile !== undefined ? { profile: loadProfile(request.profile).source } : {}),
    ...(request.apiKey !== undefined ? { apiKey: request.apiKey } : {}),
    timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

async function policySpec(request: PolicyRequest, settings: ResolveContext['settings']): Promise<PolicySpec> {
  if (request.kind === 'remote') return remoteSpec(request);
  return bundleSpec(request, settings);
}

async function bundleSpec(request: Extract<PolicyRequest, { kind: 'bundle' }>, settings: ResolveContext['settings']): Promise<BundleSpec> {
  // The settings' bundle and decoding go together: a bundle named in the request picks its own decoding.
  const fromSettings = request.dir === undefined && settings?.bundleDir ? settings : null;
  const dir = request.dir ?? fromSettings?.bundleDir ?? defaultBundleDir();
  try {
    await access(path.join(dir, 'bundle.json'));
  } catch {
    if (request.dir !== undefined) throw new EvalError('bundle', `no bundle.json in ${dir}`);
    throw new EvalError('bundle', fromSettings ? `no bundle.json in ${dir} (the bundle folder in settings)` : `no bundle given and the default bundle is missing (${dir}); pass --bundle DIR`);
  }
  const decoding = request.decoding ?? fromSettings?.decoding;
  const accept = request.accept ?? (request.threshold !== undefined ? 'threshold' : undefined);
  if (request.threshold !== undefined && accept !== 'threshold') throw new EvalError('threshold', `applies to the threshold acceptance rule, not ${accept}`);
  if (accept !== undefined && decoding !== undefined && decoding !== 'speculative') throw new EvalError('accept', `an acceptance rule applies to speculative decoding, not ${decoding}`);
  return {
    kind: 'bundle',
    dir,
    ...(decoding ? { decoding } : {}),
    ...(accept ? { accept } : {}),
    ...(request.threshold !== undefined ? { threshold: request.threshold } : {}),
    ...(request.layers !== undefined ? { layers: request.layers } : {}),
    ep: request.ep ?? RUN_DEFAULTS.ep,
  };
}

/**
 * The simulator of a resumed run: as its run.json records it; a run.json from before runs recorded
 * it ran the embedded simulator, unless its configuration names the libero backend (then the
 * interpreter is decided afresh, as for a new run).
 */
function resumedSimulator(recorded: SimulatorSpec | undefined, backend: string, settings: ResolveContext['settings'], env: NodeJS.ProcessEnv): SimulatorSpec {
  if (recorded) return recorded;
  return backend === 'libero' ? { kind: 'libero', python: liberoPythonChoice(settings, env).python } : RUN_DEFAULTS.simulator;
}

/**
 * Where the initial states come from. The embedded simulator defaults to the project's own; the
 * libero simulator (`python`: its interpreter) to LIBERO's init files: the request's folder, else
 * the settings' LIBERO folder, else $RSD_LIBERO_DIR, else the folder of the interpreter's own
 * LIBERO package (which runs the interpreter, and refuses naming `sim` when it is missing or has no
 * LIBERO).
 */
async function initSource(request: RunRequest['initStates'], python: LiberoPythonChoice | null, context: ResolveContext, env: NodeJS.ProcessEnv): Promise<InitSource> {
  if (request?.source === 'project' || (!request && !python)) return RUN_DEFAULTS.initSource;
  const dir = request?.location ?? context.settings?.liberoDir ?? undefined;
  if (dir || !python) return { kind: 'libero', ...(dir ? { dir } : {}) };
  // Named, so that run.json records where they came from.
  if (env[LIBERO_DIR_ENV]) return { kind: 'libero', dir: env[LIBERO_DIR_ENV] };
  try {
    return { kind: 'libero', dir: await (context.liberoRoot ?? ((p, e) => liberoRoot(p, { env: e })))(python, env) };
  } catch (error) {
    throw new EvalError('sim', (error as Error).message);
  }
}

/** Runs `f`, naming `name` in the error it throws. */
function field<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw new EvalError(name, (error as Error).message);
  }
}
