import path from 'node:path';
import { PHYSICS_REQUESTS } from '../sim/embedded/physics-choice.js';
import type { PhysicsRequest } from '../sim/embedded/mujoco-api.js';
import { EXECUTION_PROVIDER_REQUESTS, type ExecutionProviderRequest } from '../bundle/bundle.js';
import { ACCEPT_RULES, type AcceptRule } from '../decoding/acceptance.js';
import { STRATEGIES, type Strategy } from '../decoding/record.js';
import type { RunRequest, SimulatorSpec } from '../api/schemas/run-request.js';
import { RUN_DEFAULTS } from '../eval/defaults.js';
import { resolveResume, resolveRun, type ResolvedRun } from '../eval/resolve.js';
import type { EvalEvent, EvalProgress as Progress } from '../api/schemas/eval-events.js';
import type { EvalReport } from '../eval/runner.js';
import { defaultRunsRoot } from '../runs/store.js';
import { settingsFile } from '../settings/paths.js';
import { SettingsStore } from '../settings/store.js';
import { taskCaveats } from '../api/known-issues.js';
import { depthText } from '../api/schemas/run-config.js';
import { createTarget } from '../targets/factory.js';
import { terminalText } from '../util/terminal-text.js';
import { intFlag, parse, print, UsageError } from './args.js';
import { parseTaskList } from './expert.js';
import { parseRecordCameras } from './record-cameras.js';

/** `--sim`'s values: the kinds of SimulatorSpec (engine/api/schemas/run-request.ts). */
export const SIMULATOR_KINDS = ['embedded', 'libero'] as const satisfies readonly SimulatorSpec['kind'][];

/**
 * `rsd eval`: a bundle, or a policy server (`--policy ws://HOST:PORT`, docs/remote-policies.md), on a
 * LIBERO suite in the embedded simulator, or in real LIBERO through the Python bridge (`--sim
 * libero`, docs/libero-bridge.md). Prints a progress bar on a
 * terminal (stderr), the results table at the end (or the results JSON with --json). Ctrl-C
 * cancels cleanly: what finished is kept and `--resume RUN` continues.
 */
export async function evaluate(args: string[]): Promise<number> {
  const { values } = parse(args, {
    suite: { type: 'string' },
    tasks: { type: 'string' },
    trials: { type: 'string' },
    seed: { type: 'string' },
    decoding: { type: 'string' },
    accept: { type: 'string' },
    threshold: { type: 'string' },
    layers: { type: 'string' },
    ep: { type: 'string' },
    bundle: { type: 'string' },
    policy: { type: 'string' },
    profile: { type: 'string' },
    'api-key-env': { type: 'string' },
    'policy-timeout': { type: 'string' },
    workers: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    init: { type: 'string' },
    libero: { type: 'string' },
    sim: { type: 'string' },
    python: { type: 'string' },
    physics: { type: 'string' },
    'max-steps': { type: 'string' },
    'record-cameras': { type: 'string' },
    debug: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const decoding = oneOf('decoding', values.decoding, STRATEGIES) as Strategy | undefined;
  const accept = oneOf('accept', values.accept, ACCEPT_RULES) as AcceptRule | undefined;
  const ep = oneOf('ep', values.ep, EXECUTION_PROVIDER_REQUESTS) as ExecutionProviderRequest | undefined;
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (!(Number.isFinite(threshold) && threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold: expected a number in [0, 1], got "${values.threshold}"`);
    if (accept !== undefined && accept !== 'threshold') throw new UsageError(`--threshold applies to --accept threshold, not ${accept}`);
  }
  // The bundle's layer count bounds it when the bundle loads (BundlePolicy: `--layers: ... 1..Q`).
  const layers = values.layers === undefined ? undefined : intFlag('layers', values.layers, 8, 1);
  if (layers !== undefined && values.resume !== undefined) throw new UsageError('--layers: a resumed run decodes the layers its run.json records; leave it out');
  const sim = oneOf('sim', values.sim, SIMULATOR_KINDS) as SimulatorSpec['kind'] | undefined;
  if (values.python !== undefined) {
    if (sim !== 'libero') throw new UsageError(`--python applies to --sim libero (the Python that runs real LIBERO)${sim ? `, not --sim ${sim}` : ''}`);
    if (values.python.trim() === '') throw new UsageError('--python: expected the path of a Python interpreter, got ""');
  }
  const physics = oneOf('physics', values.physics, PHYSICS_REQUESTS) as PhysicsRequest | undefined;
  if (physics !== undefined && sim === 'libero') throw new UsageError('--physics applies to the embedded simulator, not --sim libero');
  if (physics !== undefined && values.resume !== undefined) throw new UsageError('--physics: a resumed run keeps the physics build its run.json records; leave it out');
  if (values.resume !== undefined && sim !== undefined) throw new UsageError('--sim: a resumed run keeps the simulator its run.json records; leave out --sim and --python');
  if (values.resume !== undefined && values['record-cameras'] !== undefined) throw new UsageError('--record-cameras: a resumed run records the cameras its run.json records; leave it out');
  const recordCameras = values['record-cameras'] === undefined ? undefined : parseRecordCameras(values['record-cameras']);
  const remote = remoteFlags(values);
  if (remote && values.resume !== undefined && (values.policy !== undefined || values.profile !== undefined || values['policy-timeout'] !== undefined)) {
    throw new UsageError('--policy, --profile and --policy-timeout: a resumed run asks the server its run.json records, with the same profile; leave them out (--api-key-env may be given)');
  }
  // The libero simulator starts from LIBERO's own initial states unless told otherwise.
  const init = values.init ?? (values.libero || sim === 'libero' ? 'libero' : 'project');
  if (init !== 'project' && init !== 'libero') throw new UsageError(`--init: expected project or libero, got "${init}"`);
  const workers = values.workers === undefined ? undefined : intFlag('workers', values.workers, 1, 1);
  const runsRoot = values.out ?? defaultRunsRoot();
  let run: ResolvedRun;
  if (values.resume !== undefined) {
    const settings = await new SettingsStore(settingsFile()).forRuns();
    run = await resolveResume(values.resume, { runsRoot, settings, ...(remote?.apiKey ? { apiKey: remote.apiKey } : {}), ...(workers !== undefined ? { workers } : {}), ...(values.debug ? { debug: true } : {}) });
  } else {
    const request: RunRequest = {
      ...(values.suite !== undefined ? { suite: values.suite } : {}),
      ...(values.tasks !== undefined ? { tasks: parseTaskList(values.tasks, values.suite ?? RUN_DEFAULTS.suite)! } : {}),
      ...(values.trials !== undefined ? { trials: intFlag('trials', values.trials, 50, 1) } : {}),
      ...(values.seed !== undefined ? { seed: intFlag('seed', values.seed, 7, 0, 2 ** 31 - 1) } : {}),
      ...(values['max-steps'] !== undefined ? { maxSteps: intFlag('max-steps', values['max-steps'], 220, 1) } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(init === 'libero' ? { initStates: { source: 'libero', ...(values.libero ? { location: values.libero } : {}) } } : values.init !== undefined ? { initStates: { source: 'project' } } : {}),
      ...(sim === 'libero' ? { simulator: { kind: 'libero', ...(values.python !== undefined ? { python: interpreterPath(values.python) } : {}) } } : sim === 'embedded' || physics !== undefined ? { simulator: { kind: 'embedded', ...(physics ? { physics } : {}) } } : {}),
      policy: remote?.url
        ? { kind: 'remote', url: remote.url, ...(remote.profile ? { profile: remote.profile } : {}), ...(remote.apiKey ? { apiKey: remote.apiKey } : {}), ...(remote.timeoutMs ? { timeoutMs: remote.timeoutMs } : {}) }
        : {
            kind: 'bundle',
            ...(values.bundle !== undefined ? { dir: values.bundle } : {}),
            ...(decoding ? { decoding } : {}),
            ...(accept ? { accept } : {}),
            ...(threshold !== undefined ? { threshold } : {}),
            ...(layers !== undefined ? { layers } : {}),
            ...(ep ? { ep } : {}),
          },
      ...(values.debug ? { debug: true } : {}),
      ...(recordCameras ? { recordCameras } : {}),
    };
    run = await resolveRun(request, { settings: await new SettingsStore(settingsFile()).forRuns(), runsRoot });
  }

  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nrsd eval: cancelling; finished episodes are kept (Ctrl-C again to quit at once)\n');
    process.once('SIGINT', () => process.exit(130));
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const tty = process.stderr.isTTY === true;
  const bar = new ProgressLine(tty && !values.debug);
  let report: EvalReport;
  try {
    report = await createTarget(run.target).start(run, controller.signal, (event) => onEvent(event, bar, values.json === true, values.debug === true));
  } finally {
    process.removeListener('SIGINT', onSigint);
    bar.clear();
  }
  const { results, stats } = report;
  const stored = report.run;
  const errored = erroredEpisodes(report);
  print(values.json, { runId: stored.id, dir: stored.dir, status: report.status, erroredEpisodes: errored.errored, episodes: errored.episodes, stats, results }, () => formatResults(stored.id, stored.dir, report));
  // A run whose every episode ended in an error evaluated nothing: its 0% success is not a result.
  if (errored.episodes > 0 && errored.errored === errored.episodes) {
    process.stderr.write(terminalText(`rsd eval: no episode could be evaluated: all ${errored.episodes} ended in an error (${results.errors[0]?.error ?? 'see results.json'})`) + '\n');
    return 1;
  }
  return report.status === 'completed' ? 0 : 1;
}

/** The flags of a remote policy (`--policy ws://HOST:PORT` and its companions), checked; null when none is given. */
function remoteFlags(values: Record<string, string | boolean | undefined>): { url?: string; profile?: string; apiKey?: string; timeoutMs?: number } | null {
  const url = values.policy as string | undefined;
  const profile = values.profile as string | undefined;
  const keyEnv = values['api-key-env'] as string | undefined;
  const timeout = values['policy-timeout'] as string | undefined;
  if (url === undefined && profile === undefined && keyEnv === undefined && timeout === undefined) return null;
  if (url !== undefined) {
    if (values.bundle !== undefined) throw new UsageError('--bundle and --policy: choose one policy, a bundle run here or a policy server');
    for (const flag of ['decoding', 'accept', 'threshold', 'layers', 'ep'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to a bundle; a policy server (--policy) decodes as its own settings say`);
    }
    if (!/^wss?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--policy: expected a ws:// or wss:// address such as ws://127.0.0.1:8000, got "${url}"`);
  } else if (values.resume === undefined || profile !== undefined || timeout !== undefined) {
    const given = profile !== undefined ? '--profile' : timeout !== undefined ? '--policy-timeout' : '--api-key-env';
    throw new UsageError(`${given} applies to a policy server: give its address with --policy ws://HOST:PORT`);
  }
  if (profile !== undefined && profile.trim() === '') throw new UsageError('--profile: expected a shipped profile name (openpi-libero, rsd-server) or a profile file, got ""');
  let apiKey: string | undefined;
  if (keyEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv)) throw new UsageError(`--api-key-env: expected the NAME of an environment variable that holds the key, got "${keyEnv}"`);
    apiKey = process.env[keyEnv];
    if (!apiKey) throw new UsageError(`--api-key-env: the environment variable ${keyEnv} is not set or empty`);
  }
  const timeoutMs = timeout === undefined ? undefined : intFlag('policy-timeout', timeout, 60_000, 100, 3_600_000);
  return { ...(url !== undefined ? { url } : {}), ...(profile !== undefined ? { profile } : {}), ...(apiKey ? { apiKey } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/** How many of the run's episodes (resumed ones included) ended in an error. */
function erroredEpisodes(report: EvalReport): { errored: number; episodes: number } {
  return { errored: report.results.total.errors, episodes: report.results.total.episodes };
}

/** A path (`./venv/bin/python`) made absolute, as run.json records it for a resume from anywhere; a bare name (`python3.11`) is looked up on PATH. */
function interpreterPath(given: string): string {
  return given.includes('/') || given.includes(path.sep) ? path.resolve(given) : given;
}

function oneOf(flag: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value)) throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function onEvent(event: EvalEvent, bar: ProgressLine, json: boolean, debug: boolean): void {
  switch (event.type) {
    case 'run-started':
      if (!json) process.stderr.write(terminalText(`rsd eval: run ${event.runId}${event.resumed ? ' (resumed)' : ''} in ${event.dir}`) + '\n');
      bar.update(event.progress);
      return;
    case 'episode-finished':
      bar.update(event.progress);
      if (!bar.enabled && !json && !debug) {
        const e = event.episode;
        process.stderr.write(terminalText(`  task ${e.taskId} trial ${e.trial}: ${e.outcome} (${e.steps} steps, ${(e.wallMs / 1000).toFixed(1)} s)${e.error ? `: ${e.error}` : ''}  [${event.progress.done}/${event.progress.total}]`) + '\n');
      }
      return;
    case 'log':
      bar.clear();
      if (event.level !== 'debug' || debug) process.stderr.write(terminalText(`${event.level === 'warn' ? 'warning: ' : ''}${event.message}`, { multiline: true }) + '\n');
      return;
    default:
      return;
  }
}

/** One updating line on a terminal: overall bar, running success, throughput, ETA. */
class ProgressLine {
  private shown = false;
  constructor(readonly enabled: boolean) {}

  update(p: Progress): void {
    if (!this.enabled) return;
    const width = 24;
    const filled = p.total ? Math.round((width * p.done) / p.total) : 0;
    const rate = p.done ? `${((100 * p.successes) / p.done).toFixed(1)}% success` : '';
    const eta = p.etaSeconds === null ? '' : `ETA ${formatSeconds(p.etaSeconds)}`;
    const speed = p.episodesPerMinute === null ? '' : `${p.episodesPerMinute.toFixed(1)} ep/min`;
    const latency = p.chunkMedianMs === null ? '' : `chunk ${p.chunkMedianMs.toFixed(1)} ms`;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}  ${[rate, latency, speed, eta].filter(Boolean).join('  ')}`;
    process.stderr.write(`\r${line}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(2));

function formatResults(id: string, dir: string, report: EvalReport): string {
  const r = report.results;
  const c = r.config;
  const lines = [
    `rsd eval: run ${id} ${report.status}: ${c.suite}, ${c.decoding}${c.accept ? ` (${c.accept}${c.threshold !== null ? ` ${c.threshold}` : ''})` : ''}${depthText(c.depth)}, ${c.policy?.kind === 'remote' ? `policy server ${c.policy.url} (${c.bundle.name}, profile ${c.policy.profile})` : `bundle ${c.bundle.name}, ${c.executionProvider.used}`}, ${report.stats.workers} workers, ${(report.stats.wallMs / 1000).toFixed(1)} s`,
    '  task  success                 95% interval       errors',
  ];
  for (const t of r.tasks) lines.push(`  ${String(t.taskId).padStart(4)}  ${`${t.successes}/${t.episodes} (${pct(t.rate)})`.padEnd(22)}  ${`[${pct(t.wilson95.low)}, ${pct(t.wilson95.high)}]`.padEnd(17)}  ${t.errors}`);
  lines.push(`  total ${`${r.total.successes}/${r.total.episodes} (${pct(r.total.rate)})`.padEnd(22)}  [${pct(r.total.wilson95.low)}, ${pct(r.total.wilson95.high)}]`);
  for (const caveat of taskCaveats(c.suite, c.tasks, c.simulator)) lines.push(`  note: task ${caveat.taskId}: ${caveat.note}`);
  const total = r.latency.stages.totalMs;
  lines.push(`  chunk latency (ms): median ${ms(total.median)}, p90 ${ms(total.p90)}, p99 ${ms(total.p99)} over ${r.latency.chunks} chunks`);
  if (r.acceptance.speculativeChunks > 0) {
    lines.push(`  mean accepted draft layers: ${r.acceptance.meanAcceptedLayers?.toFixed(2)}; per layer: ${r.acceptance.perLayer.map((l) => `${l.layer}: ${pct(l.rate)}`).join(', ')}`);
  }
  lines.push(`  ${r.total.errors} of ${r.total.episodes} episodes ended in an error${r.hadErrors ? ` (counted as failures): ${r.errors.slice(0, 3).map((e) => `task ${e.taskId} trial ${e.trial}: ${e.error}`).join('; ')}` : ''}`);
  lines.push(`  results: ${dir}/results.json`);
  return lines.join('\n');
}
