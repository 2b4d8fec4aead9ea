import type { StateCreator } from 'zustand';
import type { RsdClient } from '../../../engine/api/client.js';
import type { Result } from '../../../engine/api/contract.js';
import type { RsdError } from '../../../engine/api/errors.js';
import type { EpisodeSteps, EvalEvent, EvalProgress } from '../../../engine/api/schemas/eval-events.js';
import { ACCEPT_RULES as CONTRACT_ACCEPT_RULES, DECODING_STRATEGIES, EXECUTION_PROVIDER_REQUESTS, type RunConfig } from '../../../engine/api/schemas/run-config.js';
import type { RunRequest } from '../../../engine/api/schemas/run-request.js';
import type { PolicyProbe } from '../../../engine/api/policy-server.js';
import type { Settings } from '../../../engine/api/settings.js';
import { CHECK_IDS, type CheckId, type CheckRow, type CheckStatus } from '../../../engine/api/checks.js';
import type { AppState } from './index.js';
import { asRsdError } from './notices.js';

/**
 * The Run page's state: the evaluation form (checked here before any request), and the run the
 * engine is doing now, followed through `eval.event` and caught up with `eval.status` on (re)load.
 */

export type SuiteInfo = Result<'eval.suites'>['suites'][number];
export type BundleDecodings = Result<'eval.decodings'>;
export type RunDefaults = Result<'eval.suites'>['defaults'];
type BundlePolicyRequest = Extract<NonNullable<RunRequest['policy']>, { kind: 'bundle' }>;
export type Decoding = NonNullable<BundlePolicyRequest['decoding']>;
export type AcceptRule = NonNullable<BundlePolicyRequest['accept']>;
export type ExecutionProvider = NonNullable<BundlePolicyRequest['ep']>;
export type SimulatorKind = NonNullable<RunRequest['simulator']>['kind'];
/** Where the policy runs: a model bundle in the engine, or a policy server (openpi's protocol). */
export type PolicyChoice = NonNullable<RunRequest['policy']>['kind'];

export const DECODINGS: readonly Decoding[] = DECODING_STRATEGIES;
export const ACCEPT_RULES: readonly AcceptRule[] = CONTRACT_ACCEPT_RULES;
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = EXECUTION_PROVIDER_REQUESTS;
/** The simulators a run can use, as the form names them. */
export const SIMULATORS: readonly { kind: SimulatorKind; label: string }[] = [
  { kind: 'embedded', label: 'Embedded MuJoCo' },
  { kind: 'libero', label: 'Real LIBERO (Python)' },
];

/** The policies a run can use, as the form names them. */
export const POLICY_CHOICES: readonly { kind: PolicyChoice; label: string }[] = [
  { kind: 'bundle', label: 'Model bundle' },
  { kind: 'remote', label: 'Policy server' },
];

/** The profile field's choice that asks for a profile file's path. */
export const PROFILE_FILE = 'file';

/** The checklist rows of the Python bridge, which a libero run needs. */
export const BRIDGE_CHECKS: readonly CheckId[] = CHECK_IDS.filter((id) => id.startsWith('bridge.'));

/** The interpreter a libero run uses: the settings', else the engine's (from $RSD_LIBERO_PYTHON, else python3). */
export function liberoInterpreter(settingsPython: string | null, defaults: RunDefaults | null): { python: string; origin: 'settings' | 'env' | 'default' } | null {
  if (settingsPython) return { python: settingsPython, origin: 'settings' };
  if (!defaults) return null;
  // The engine's answer may predate a setting cleared since: only its environment's choice stands.
  return defaults.liberoPython.origin === 'env' ? defaults.liberoPython : { python: 'python3', origin: 'default' };
}

/** What the checklist says of the bridge: not checked yet, ready, or the rows that are not. */
export function bridgeReadiness(rows: readonly CheckRow[]): { state: 'unchecked' } | { state: 'ready' } | { state: 'not-ready'; rows: { title: string; status: CheckStatus }[] } {
  const bridge = rows.filter((r) => BRIDGE_CHECKS.includes(r.id));
  if (bridge.length === 0 || bridge.some((r) => !r.result)) return { state: 'unchecked' };
  const bad = bridge.filter((r) => r.result!.status !== 'pass' && r.result!.status !== 'warn');
  return bad.length === 0 ? { state: 'ready' } : { state: 'not-ready', rows: bad.map((r) => ({ title: r.title, status: r.result!.status })) };
}

/** The form as typed: numbers stay text until checked, so "abc" and "" can be named. */
export interface RunForm {
  suite: string;
  tasks: number[];
  /** The embedded simulator, or real LIBERO in a Python worker (its interpreter from the settings). */
  simulator: SimulatorKind;
  trials: string;
  decoding: Decoding;
  accept: AcceptRule;
  threshold: string;
  /** RFSQ layers decoded (autoregressive, speculative); empty: every layer. */
  layers: string;
  ep: ExecutionProvider;
  /** Empty: the engine's default (one per core). */
  workers: string;
  seed: string;
  /** Empty: the suite's maximum. */
  maxSteps: string;
  /** Empty: the settings' bundle, else the shipped default. */
  bundleDir: string;
  /** A bundle in the engine, or a policy server; a server's run ignores decoding, acceptance, threshold, EP and bundle. */
  policy: PolicyChoice;
  /** The server's ws:// or wss:// address; empty: the settings' server (`policyServer`). */
  serverUrl: string;
  /** '' (the settings' profile, else the one the server's metadata implies), a shipped profile's name, or PROFILE_FILE. */
  serverProfile: string;
  /** The profile file's absolute path, when `serverProfile` is PROFILE_FILE. */
  profileFile: string;
  /** Sent with the run and the probe; held in this window only, never saved. Empty: the settings' key variable, for the settings' server. */
  apiKey: string;
  debug: boolean;
  /** Record both LIBERO cameras at 128x128 for Replay (the run request's `recordCameras`). */
  recordCameras: boolean;
}

export type RunFormField = 'suite' | 'tasks' | 'trials' | 'threshold' | 'layers' | 'workers' | 'seed' | 'maxSteps' | 'serverUrl' | 'profileFile';
export type RunFormErrors = Partial<Record<RunFormField, string>>;

export const MAX_TRIALS = 500;
export const MAX_WORKERS = 256;
export const MAX_SEED = 2 ** 31 - 1;

const wholeNumber = (text: string): number | null => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : null);

/** Whether the acceptance rule (and the threshold) apply to this form. */
export const usesAcceptRule = (form: Pick<RunForm, 'decoding'>): boolean => form.decoding === 'speculative';
export const usesThreshold = (form: Pick<RunForm, 'decoding' | 'accept'>): boolean => usesAcceptRule(form) && form.accept === 'threshold';
/** Whether a depth applies: parallel decoding decodes every layer in one pass. */
export const usesLayers = (form: Pick<RunForm, 'decoding'>): boolean => form.decoding !== 'parallel';

/** The settings a server's run falls back on. */
export type SavedServer = Pick<Settings, 'policyServer' | 'policyProfile'> | null;

/** The server address a form means: its own, else the settings'; null when neither gives one. */
export function serverAddress(form: Pick<RunForm, 'serverUrl'>, saved: SavedServer): string | null {
  return form.serverUrl.trim() || saved?.policyServer || null;
}

/** What is wrong with a server address, or null (the engine's rule: ws:// or wss://, a host, a port up to 65535). */
export function serverAddressError(url: string | null): string | null {
  if (url === null) return 'Give the policy server’s address (ws://HOST:PORT), or set one on the Checklist page.';
  if (!/^wss?:\/\/[^\s/?#]+(\/\S*)?$/.test(url)) return 'The address must be ws://HOST:PORT or wss://HOST:PORT, such as ws://127.0.0.1:8000.';
  try {
    new URL(url);
  } catch {
    return 'The address is not valid (its host, or a port above 65535?).';
  }
  return null;
}

/** Two addresses of one server (`ws://h:8000` and `ws://h:8000/` are one). */
export function sameServer(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a.trim() === b.trim();
  }
}

/** The request's `policy` for a server: address, profile (absent: the engine decides from the metadata), key. */
function remotePolicy(form: RunForm, saved: SavedServer, errors: RunFormErrors): Extract<NonNullable<RunRequest['policy']>, { kind: 'remote' }> | null {
  const url = serverAddress(form, saved);
  const urlError = serverAddressError(url);
  if (urlError) errors.serverUrl = urlError;
  let profile: string | undefined;
  if (form.serverProfile === PROFILE_FILE) {
    profile = form.profileFile.trim();
    if (!/^(\/|[A-Za-z]:[\\/])/.test(profile)) errors.profileFile = 'Give the profile file’s absolute path (a JSON file, docs/remote-policies.md “Profiles”).';
  } else {
    profile = form.serverProfile || saved?.policyProfile || undefined;
  }
  if (urlError || errors.profileFile) return null;
  const apiKey = form.apiKey.trim();
  return { kind: 'remote', url: url!, ...(profile ? { profile } : {}), ...(apiKey ? { apiKey } : {}) };
}

/**
 * The form as an `eval.start` request, or what is wrong with it, field by field (the messages the
 * page shows beside each field). Only fields that apply are checked. `saved`: the settings' policy
 * server and profile, which a server's run with those fields empty uses.
 */
export function checkRunForm(form: RunForm, suites: readonly SuiteInfo[] | null, saved: SavedServer = null): { errors: RunFormErrors; request: RunRequest | null } {
  const errors: RunFormErrors = {};
  const remote = form.policy === 'remote';
  const suite = suites?.find((s) => s.suite === form.suite);
  if (suites && !suite) errors.suite = 'Choose a suite.';

  const known = suite ? new Set(suite.tasks.map((t) => t.id)) : null;
  if (form.tasks.length === 0) errors.tasks = 'Choose at least one task.';
  else if (known && form.tasks.some((t) => !known.has(t))) errors.tasks = `Task ${form.tasks.find((t) => !known.has(t))} is not in ${form.suite}.`;
  else if (form.debug && form.tasks.length !== 1) errors.tasks = 'Debug mode runs one task: choose exactly one.';

  const trials = form.debug ? 1 : wholeNumber(form.trials);
  if (trials === null || trials < 1 || trials > MAX_TRIALS) errors.trials = `Trials per task must be a whole number from 1 to ${MAX_TRIALS}.`;

  let threshold: number | undefined;
  if (!remote && usesThreshold(form)) {
    const text = form.threshold.trim();
    threshold = text === '' ? Number.NaN : Number(text);
    if (!(threshold >= 0 && threshold <= 1)) errors.threshold = 'The threshold must be a number from 0 to 1.';
  }

  // The bundle's layer count bounds it; the engine checks that when the bundle loads.
  let layers: number | undefined;
  if (!remote && usesLayers(form) && form.layers.trim() !== '') {
    const n = wholeNumber(form.layers);
    if (n === null || n < 1) errors.layers = 'Layers must be a whole number of at least 1, or empty for every layer.';
    else layers = n;
  }

  let workers: number | undefined;
  if (form.workers.trim() !== '') {
    const n = wholeNumber(form.workers);
    if (n === null || n < 1 || n > MAX_WORKERS) errors.workers = `Workers must be a whole number from 1 to ${MAX_WORKERS}, or empty for the default.`;
    else workers = n;
  }

  const seed = wholeNumber(form.seed);
  if (seed === null || seed > MAX_SEED) errors.seed = `The seed must be a whole number from 0 to ${MAX_SEED}.`;

  let maxSteps: number | undefined;
  if (form.maxSteps.trim() !== '') {
    const n = wholeNumber(form.maxSteps);
    if (n === null || n < 1) errors.maxSteps = 'Max steps must be a whole number of at least 1, or empty for the suite’s.';
    else maxSteps = n;
  }

  const server = remote ? remotePolicy(form, saved, errors) : null;

  if (Object.keys(errors).length > 0 || trials === null || seed === null) return { errors, request: null };
  const bundleDir = form.bundleDir.trim();
  return {
    errors,
    request: {
      suite: form.suite,
      tasks: [...form.tasks],
      trials,
      ...(workers !== undefined ? { workers } : {}),
      seed,
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      simulator: { kind: form.simulator },
      policy: server ?? {
        kind: 'bundle',
        ...(bundleDir ? { dir: bundleDir } : {}),
        decoding: form.decoding,
        ...(usesAcceptRule(form) ? { accept: form.accept } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
        ...(layers !== undefined ? { layers } : {}),
        ep: form.ep,
      },
      debug: form.debug,
      ...(form.recordCameras ? { recordCameras: RECORDED_CAMERAS.map((c) => ({ ...c })) } : {}),
    },
  };
}

/** What "Record camera images" asks for: LIBERO's two cameras at `rsd eval --record-cameras`'s default size. */
export const RECORDED_CAMERAS = [
  { name: 'agentview', width: 128, height: 128 },
  { name: 'robot0_eye_in_hand', width: 128, height: 128 },
] as const;

export interface RunLogLine {
  id: number;
  level: 'info' | 'warn' | 'debug' | 'error';
  text: string;
}

/** Lines the page keeps of a run's log (a debug run logs every step). */
export const LOG_LIMIT = 400;

export type LiveRunStatus = 'starting' | 'running' | 'completed' | 'cancelled' | 'failed';

/** The run the engine does now, or did last, as this window saw it. */
export interface LiveRun {
  /** Null until the engine has created the run. */
  runId: string | null;
  status: LiveRunStatus;
  /** From `run-started`; null when this window caught up mid-run. */
  config: RunConfig | null;
  progress: EvalProgress | null;
  /** Episodes being run now. */
  running: { taskId: number; trial: number }[];
  /** Steps done by the running episodes, from the throttled `episodes-progress`. */
  steps: EpisodeSteps[];
  /**
   * The run's elapsed time (over all its sessions) as last reported, and when this window heard it
   * (Date.now()): the page ticks on from it while the run runs.
   */
  elapsed: { seconds: number; at: number } | null;
  log: RunLogLine[];
  /** Why the run failed (status `failed`). */
  error: string | null;
  resumed: boolean;
  cancelling: boolean;
}

/** What the form's bundle can decode (`eval.decodings`), for the folder it was asked for ('' = the settings' or default bundle). */
export type DecodingsState = { dir: string; state: 'loading' } | { dir: string; state: 'done'; result: BundleDecodings } | { dir: string; state: 'error'; error: RsdError };

/** The last probe of a policy server from the form: going, or its answer (or why the engine could not answer). */
export type ServerProbe = { url: string; state: 'probing' } | { url: string; state: 'done'; result: PolicyProbe } | { url: string; state: 'error'; error: RsdError };

export interface RunSlice {
  suites: SuiteInfo[] | null;
  /** The engine's run defaults (seed, workers), for the form's placeholders. */
  runDefaults: RunDefaults | null;
  runForm: RunForm;
  /** Filled in from the suite and the settings once, on the first load. */
  runFormReady: boolean;
  /** Shown beside each field; set when Start is pressed, cleared field by field as they are edited. */
  runFormErrors: RunFormErrors;
  liveRun: LiveRun | null;
  /** The engine's answer when it refused to start, resume or cancel a run. */
  runError: RsdError | null;
  serverProbe: ServerProbe | null;
  decodings: DecodingsState | null;
  /**
   * Asks which decodings the form's bundle supports; an unsupported choice in the form moves to the
   * first supported one (the hint says why).
   */
  loadDecodings(): Promise<void>;
  /** Probes the form's policy server (`policy.probe`): what it serves, or why it cannot be reached. */
  probeServer(): Promise<void>;
  /** Suites (with their tasks) and, the first time, the form's defaults from the suite and the settings. */
  loadSuites(): Promise<void>;
  /** What the Run page needs: the suites, runs followed, and the engine's active run caught up with. */
  loadRunPage(): Promise<void>;
  editRunForm(patch: Partial<RunForm>): void;
  /** Checks the form; starts the run only when it is valid. Resolves to the run id, or null. */
  startRun(): Promise<string | null>;
  cancelRun(): Promise<void>;
  /**
   * Continues a run. `server`: the policy server it ran, if any; the form's API key goes with it
   * when the form names that server (keys are never stored with a run).
   */
  resumeRun(runId: string, server?: string | null): Promise<string | null>;
  /** Asks the engine for its active run (after a reload or reconnect). */
  catchUpRun(): Promise<void>;
  /** Follows `eval.event` on the current client, once per client; returns the unsubscribe. */
  watchRuns(client?: RsdClient): () => void;
}

const INITIAL_FORM: RunForm = {
  suite: '',
  tasks: [],
  simulator: 'embedded',
  trials: '',
  decoding: 'speculative',
  accept: 'exact',
  threshold: '0.7',
  layers: '',
  ep: 'cpu',
  workers: '',
  /** Filled from the engine's defaults (`eval.suites`). */
  seed: '',
  maxSteps: '',
  bundleDir: '',
  policy: 'bundle',
  serverUrl: '',
  serverProfile: '',
  profileFile: '',
  apiKey: '',
  debug: false,
  recordCameras: false,
};

let nextLineId = 1;
const line = (level: RunLogLine['level'], text: string): RunLogLine => ({ id: nextLineId++, level, text });
const appendLog = (log: RunLogLine[], ...lines: RunLogLine[]): RunLogLine[] => [...log, ...lines].slice(-LOG_LIMIT);

const newLiveRun = (runId: string | null, status: LiveRunStatus): LiveRun => ({ runId, status, config: null, progress: null, running: [], steps: [], elapsed: null, log: [], error: null, resumed: false, cancelling: false });

/** The elapsed time of the run now: as last reported, plus the time since while it runs. */
export function elapsedNow(live: Pick<LiveRun, 'elapsed' | 'status'>, now: number): number | null {
  if (!live.elapsed) return null;
  return live.elapsed.seconds + (live.status === 'running' ? Math.max(0, now - live.elapsed.at) / 1000 : 0);
}

/** What `eval.event` does to the live run (the same words as the engine's catch-up log); `now` stamps the elapsed time heard. */
export function applyEvalEvent(live: LiveRun | null, event: EvalEvent, now = Date.now()): LiveRun {
  const base = live && (live.runId === null || live.runId === event.runId) ? live : newLiveRun(event.runId, 'running');
  const heard = (seconds: number) => ({ seconds, at: now });
  switch (event.type) {
    case 'run-started':
      return {
        ...base,
        runId: event.runId,
        status: 'running',
        config: event.config,
        progress: event.progress,
        elapsed: heard(event.progress.elapsedSeconds),
        resumed: event.resumed,
        log: appendLog(base.log, line('info', `${event.resumed ? 'resumed' : 'started'} run ${event.runId}: ${event.progress.total} episodes`)),
      };
    case 'episode-started':
      return { ...base, runId: event.runId, running: [...base.running, { taskId: event.taskId, trial: event.trial }] };
    case 'episodes-progress':
      return { ...base, runId: event.runId, steps: event.episodes, elapsed: heard(event.elapsedSeconds) };
    case 'episode-finished': {
      const e = event.episode;
      const other = (r: { taskId: number; trial: number }) => r.taskId !== e.taskId || r.trial !== e.trial;
      return {
        ...base,
        runId: event.runId,
        progress: event.progress,
        elapsed: heard(event.progress.elapsedSeconds),
        running: base.running.filter(other),
        steps: base.steps.filter(other),
        log: appendLog(base.log, line(e.outcome === 'error' ? 'warn' : 'info', `task ${e.taskId} trial ${e.trial}: ${e.outcome} after ${e.steps} steps${e.error ? ` (${e.error})` : ''}`)),
      };
    }
    case 'log':
      return { ...base, runId: event.runId, log: appendLog(base.log, line(event.level, event.level === 'warn' ? `warning: ${event.message}` : event.message)) };
    case 'run-finished':
      return {
        ...base,
        runId: event.runId,
        status: event.status,
        progress: event.progress,
        elapsed: heard(event.progress.elapsedSeconds),
        error: event.error,
        running: [],
        steps: [],
        cancelling: false,
        log: appendLog(base.log, line(event.status === 'failed' ? 'error' : 'info', `run ${event.status}${event.error ? `: ${event.error}` : ''}`)),
      };
  }
}

export const runSlice: StateCreator<AppState, [], [], RunSlice> = (set, get) => {
  const savedServer = (): SavedServer => get().settings?.settings ?? null;
  let watched: RsdClient | null = null;
  let unwatch: () => void = () => undefined;

  return {
    suites: null,
    runDefaults: null,
    runForm: INITIAL_FORM,
    runFormReady: false,
    runFormErrors: {},
    liveRun: null,
    runError: null,
    serverProbe: null,
    decodings: null,

    async loadDecodings() {
      const { client, runForm } = get();
      if (!client) return;
      const dir = runForm.bundleDir.trim();
      set({ decodings: { dir, state: 'loading' } });
      let next: DecodingsState;
      try {
        next = { dir, state: 'done', result: await client.call('eval.decodings', dir ? { dir } : {}) };
      } catch (thrown) {
        next = { dir, state: 'error', error: asRsdError(thrown) };
      }
      // A later folder's answer wins.
      if (get().decodings?.dir !== dir || get().decodings?.state !== 'loading') return;
      set({ decodings: next });
      if (next.state === 'done') {
        const supported = next.result.choices.filter((c) => c.supported).map((c) => c.strategy);
        const current = get().runForm.decoding;
        if (supported.length > 0 && !supported.includes(current)) get().editRunForm({ decoding: supported[0]! });
      }
    },

    async loadRunPage() {
      const { client } = get();
      if (!client) return;
      get().watchRuns(client);
      await Promise.all([get().catchUpRun(), get().loadSuites()]);
    },

    async loadSuites() {
      const { client } = get();
      if (!client) return;
      try {
        const [{ suites, defaults }] = await Promise.all([client.call('eval.suites', {}), get().settings ? Promise.resolve() : get().loadSettings()]);
        set({ suites, runDefaults: defaults });
        if (!get().runFormReady) {
          const first = suites[0];
          const decoding = get().settings?.settings.decoding;
          set((s) => ({
            runFormReady: true,
            runForm: {
              ...s.runForm,
              suite: s.runForm.suite || (first?.suite ?? ''),
              trials: s.runForm.trials || String(first?.defaultTrials ?? 1),
              seed: s.runForm.seed || String(defaults.seed),
              ...(decoding ? { decoding } : {}),
            },
          }));
        }
      } catch (thrown) {
        get().report('Could not load the suites and tasks', thrown);
      }
    },

    editRunForm(patch) {
      set((s) => {
        const errors = { ...s.runFormErrors };
        for (const key of Object.keys(patch)) delete errors[key as RunFormField];
        // Switching strategy or rule can make the threshold's message moot.
        if ('decoding' in patch || 'accept' in patch) delete errors.threshold;
        if ('decoding' in patch) delete errors.layers;
        if ('policy' in patch) {
          delete errors.serverUrl;
          delete errors.profileFile;
          delete errors.threshold;
          delete errors.layers;
        }
        if ('serverProfile' in patch) delete errors.profileFile;
        if ('debug' in patch) {
          delete errors.tasks;
          delete errors.trials;
        }
        return { runForm: { ...s.runForm, ...patch }, runFormErrors: errors };
      });
    },

    async probeServer() {
      const { client, runForm } = get();
      const url = serverAddress(runForm, savedServer());
      const invalid = serverAddressError(url);
      if (invalid) {
        set((s) => ({ runFormErrors: { ...s.runFormErrors, serverUrl: invalid } }));
        return;
      }
      if (!client) {
        set({ serverProbe: { url: url!, state: 'error', error: { kind: 'disconnected', message: 'not connected to the engine' } } });
        return;
      }
      set({ serverProbe: { url: url!, state: 'probing' } });
      const apiKey = runForm.apiKey.trim();
      let next: ServerProbe;
      try {
        next = { url: url!, state: 'done', result: await client.call('policy.probe', { url: url!, ...(apiKey ? { apiKey } : {}) }) };
      } catch (thrown) {
        next = { url: url!, state: 'error', error: asRsdError(thrown) };
      }
      // A later probe (another address) wins.
      set((s) => (s.serverProbe?.url === url && s.serverProbe.state === 'probing' ? { serverProbe: next } : {}));
    },

    async startRun() {
      const { client, runForm, suites } = get();
      const { errors, request } = checkRunForm(runForm, suites, savedServer());
      set({ runFormErrors: errors, runError: null });
      if (!request) return null;
      if (!client) {
        set({ runError: { kind: 'disconnected', message: 'not connected to the engine' } });
        return null;
      }
      get().watchRuns(client);
      const previous = get().liveRun;
      set({ liveRun: newLiveRun(null, 'starting') });
      try {
        const { runId } = await client.call('eval.start', request);
        // The run-started event usually comes first; the answer makes sure the id is known.
        set((s) => ({ liveRun: s.liveRun && s.liveRun.runId === null ? { ...s.liveRun, runId } : s.liveRun }));
        void get().loadRuns();
        return runId;
      } catch (thrown) {
        // Refused before the run existed: the last run stays shown.
        set((s) => ({ runError: asRsdError(thrown), liveRun: s.liveRun?.status === 'starting' ? previous : s.liveRun }));
        return null;
      }
    },

    async cancelRun() {
      const { client, liveRun } = get();
      if (!client || !liveRun?.runId) return;
      set({ liveRun: { ...liveRun, cancelling: true }, runError: null });
      try {
        await client.call('eval.cancel', { id: liveRun.runId });
      } catch (thrown) {
        set((s) => ({ runError: asRsdError(thrown), liveRun: s.liveRun ? { ...s.liveRun, cancelling: false } : null }));
      }
    },

    async resumeRun(runId, server) {
      const { client, runForm } = get();
      if (!client) return null;
      const formServer = serverAddress(runForm, savedServer());
      const apiKey = server && formServer && sameServer(server, formServer) ? runForm.apiKey.trim() : '';
      get().watchRuns(client);
      const previous = get().liveRun;
      set({ runError: null, liveRun: { ...newLiveRun(runId, 'starting'), resumed: true } });
      get().navigate('run');
      try {
        await client.call('eval.resume', { id: runId, ...(apiKey ? { apiKey } : {}) });
        void get().loadRuns();
        return runId;
      } catch (thrown) {
        set((s) => ({ runError: asRsdError(thrown), liveRun: s.liveRun?.status === 'starting' ? previous : s.liveRun }));
        return null;
      }
    },

    async catchUpRun() {
      const { client } = get();
      if (!client) return;
      try {
        const { active } = await client.call('eval.status', {});
        if (active) {
          set((s) => {
            const same = s.liveRun?.runId === active.runId;
            // Events already seen are newer than the answer's snapshot: keep them.
            if (same && s.liveRun && s.liveRun.status === 'running' && s.liveRun.log.length > 0) return {};
            return {
              liveRun: {
                ...(same && s.liveRun ? s.liveRun : newLiveRun(active.runId, 'running')),
                status: 'running',
                progress: active.progress ?? (same ? (s.liveRun?.progress ?? null) : null),
                ...(active.progress ? { elapsed: { seconds: active.progress.elapsedSeconds, at: Date.now() } } : {}),
                log: active.log.slice(-LOG_LIMIT).map((text) => line(text.startsWith('warning: ') ? 'warn' : 'info', text)),
              },
            };
          });
        } else {
          const live = get().liveRun;
          if (live?.status === 'running' && live.runId) {
            // The run ended while this window was away: take its final status from the store.
            const { runs } = await client.call('runs.list', {});
            const run = runs.find((r) => r.id === live.runId);
            if (run && run.status !== 'running') set((s) => ({ liveRun: s.liveRun?.runId === run.id ? { ...s.liveRun, status: run.status, running: [] } : s.liveRun }));
          }
        }
      } catch (thrown) {
        get().report('Could not ask the engine for its active run', thrown);
      }
    },

    watchRuns(client = get().client ?? undefined) {
      if (!client || client === watched) return unwatch;
      unwatch();
      watched = client;
      const off = client.listen('eval.event', (event) => {
        set((s) => ({ liveRun: applyEvalEvent(s.liveRun, event) }));
        get().noteRunEvent(event);
      });
      unwatch = () => {
        off();
        if (watched === client) watched = null;
        unwatch = () => undefined;
      };
      return unwatch;
    },
  };
};
