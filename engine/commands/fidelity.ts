import { FIDELITY_SOURCES, FIXTURE_MODES, type ClosedLoopPairing, type FidelityGroup, type FidelityReport, type FidelitySource, type FixtureMode, type FidelityEpisode } from '../api/schemas/fidelity.js';
import { taskCaveats } from '../api/known-issues.js';
import type { PairedSuccess } from '../api/schemas/comparison.js';
import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import { checkMaxSteps, suiteTaskCount } from '../eval/bounds.js';
import { EvalError } from '../eval/errors.js';
import { RUN_DEFAULTS } from '../eval/defaults.js';
import { pairRuns } from '../fidelity/closed-loop.js';
import { runFidelity } from '../fidelity/run.js';
import { fidelityDir, overview, writeReport } from '../fidelity/store.js';
import { LIBERO_DIR_ENV, liberoDir } from '../libero/libero-dir.js';
import { liberoPythonChoice, liberoRoot, type LiberoPythonSettings } from '../sim/libero/python.js';
import { PROJECT_SUITES } from '../libero/project-tasks.js';
import { MAX_STEPS, suiteTasks } from '../libero/suites.js';
import { defaultRunsRoot, RunStore } from '../runs/store.js';
import { dataDir, settingsFile } from '../settings/paths.js';
import { SettingsStore } from '../settings/store.js';
import { terminalText } from '../util/terminal-text.js';
import { intFlag, parse, print, UsageError } from './args.js';
import { parseTaskList } from './expert.js';

/** Simulator kinds `--sim` takes (SimulatorSpec's). */
const SIM_KINDS = ['embedded', 'libero'] as const;
/** LIBERO's init files hold 50 states per task. */
const MAX_TRIALS = 50;

/**
 * `rsd fidelity`: the embedded simulator against a reference backend (docs/libero-bridge.md
 * "Fidelity report"). The scripted expert's and the bundle's action sequences, recorded closed loop
 * in the embedded simulator from LIBERO's initial states, replay open loop in the reference (real
 * LIBERO; `--sim embedded` compares the embedded simulator with itself, a self-check whose
 * divergence is exactly 0); per task: grip-site and object position errors over time, success
 * agreement, the moved object's final error. `--runs EMBEDDED_RUN LIBERO_RUN` adds two finished
 * evaluation runs' success, paired (McNemar). One report per call, `<data dir>/fidelity/<id>.json`.
 */
export async function fidelity(args: string[]): Promise<number> {
  const { rest, runs } = extractRuns(args);
  const { values } = parse(rest, {
    suite: { type: 'string' },
    tasks: { type: 'string' },
    trials: { type: 'string' },
    sources: { type: 'string' },
    fixtures: { type: 'string' },
    sim: { type: 'string' },
    python: { type: 'string' },
    libero: { type: 'string' },
    bundle: { type: 'string' },
    'max-steps': { type: 'string' },
    json: { type: 'boolean' },
  });
  const { suite } = suiteTaskCount(values.suite ?? RUN_DEFAULTS.suite);
  if (!PROJECT_SUITES.includes(suite)) throw new EvalError('suite', `the embedded simulator has the tasks of ${PROJECT_SUITES.join(', ')} only, not ${suite}`);
  const tasks = parseTaskList(values.tasks, suite) ?? suiteTasks(suite).map((t) => t.id);
  const trials = intFlag('trials', values.trials, 10, 1, MAX_TRIALS);
  const sources = listFlag('sources', values.sources, FIDELITY_SOURCES, ['expert', 'bundle']) as FidelitySource[];
  const fixtures = listFlag('fixtures', values.fixtures, FIXTURE_MODES, ['default', 'reference']) as FixtureMode[];
  if (fixtures.length === 0) throw new UsageError(`--fixtures: expected one or both of ${FIXTURE_MODES.join(', ')}`);
  const maxSteps = values['max-steps'] === undefined ? MAX_STEPS[suite] : checkMaxSteps(intFlag('max-steps', values['max-steps'], MAX_STEPS[suite], 1), suite);
  const settings = await new SettingsStore(settingsFile()).forRuns();
  const reference = simulatorSpec(values.sim, values.python, settings);
  if (sources.length === 0 && !runs) throw new UsageError('--sources none leaves nothing to compare: give sources, or --runs EMBEDDED_RUN LIBERO_RUN');
  if (values.bundle !== undefined && !sources.includes('bundle')) throw new UsageError('--bundle drives the bundle source: add it to --sources');

  // Everything the user named is checked before the long work starts.
  // LIBERO's data folder (its init_files/), resolved now so that the report names it: the flag, the
  // settings, $RSD_LIBERO_DIR, else (a libero reference) the folder of its interpreter's own LIBERO.
  const given = values.libero ?? settings?.liberoDir ?? process.env[LIBERO_DIR_ENV] ?? (reference.kind === 'libero' && sources.length > 0 ? await liberoRoot(reference.python!) : undefined);
  const libero = sources.length > 0 ? liberoDir(given) : undefined;
  const closedLoop = runs ? await pairing(runs, suite, reference.kind) : null;

  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nrsd fidelity: stopping after this episode; the report keeps what finished (Ctrl-C again to quit at once)\n');
    process.once('SIGINT', () => process.exit(130));
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let report: FidelityReport;
  try {
    report = await runFidelity(
      {
        suite,
        tasks,
        initIndices: Array.from({ length: trials }, (_, i) => i),
        initSource: { kind: 'libero', ...(libero ? { dir: libero } : {}) },
        sources,
        fixtures,
        maxSteps,
        reference,
        bundle: sources.includes('bundle') ? { kind: 'bundle', dir: values.bundle ?? defaultBundleDir(), ep: 'cpu' } : null,
        seed: RUN_DEFAULTS.seed,
        closedLoop,
      },
      {
        signal: controller.signal,
        onLog: (line) => process.stderr.write(terminalText(`rsd fidelity: ${line}`) + '\n'),
        onEpisode: ({ done, total, episode }) => process.stderr.write(terminalText(`  [${done}/${total}] ${episodeLine(episode, reference.kind)}`) + '\n'),
      },
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const file = await writeReport(fidelityDir(dataDir()), report);
  print(values.json, { file, ...overview(report) }, () => formatReport(report, file));
  return report.status === 'completed' ? 0 : 1;
}

/** `--runs A B` (or `--runs A,B`): two run ids, taken out before the other flags are parsed. */
export function extractRuns(args: readonly string[]): { rest: string[]; runs: [string, string] | null } {
  const rest: string[] = [];
  let runs: [string, string] | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg !== '--runs' && !arg.startsWith('--runs=')) {
      rest.push(arg);
      continue;
    }
    if (runs) throw new UsageError('--runs: given twice; give it once, with the embedded run and the reference run');
    let ids: string[];
    if (arg.startsWith('--runs=')) ids = arg.slice('--runs='.length).split(',');
    else if (args[i + 1]?.includes(',')) ids = args[++i]!.split(',');
    else {
      ids = [];
      while (ids.length < 2 && i + 1 < args.length && !args[i + 1]!.startsWith('--')) ids.push(args[++i]!);
    }
    ids = ids.map((s) => s.trim());
    if (ids.length !== 2 || ids.some((s) => s === '')) throw new UsageError('--runs: expected two run ids, the embedded run then the reference run (--runs EMBEDDED_RUN LIBERO_RUN)');
    runs = [ids[0]!, ids[1]!];
  }
  return { rest, runs };
}

/** A comma-separated subset of `allowed`, in the order given, each once; `none` for an empty one. */
function listFlag(flag: string, value: string | undefined, allowed: readonly string[], fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (value.trim() === 'none') return [];
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!allowed.includes(item)) throw new UsageError(`--${flag}: expected ${allowed.join(', ')} (comma-separated) or none, got "${value}"`);
  }
  if (new Set(items).size !== items.length) throw new UsageError(`--${flag}: lists a value twice: "${value}"`);
  return items;
}

/** The reference backend: `--sim` (default libero) and, for libero, its interpreter. */
function simulatorSpec(sim: string | undefined, python: string | undefined, settings: LiberoPythonSettings): SimulatorSpec {
  const kind = sim ?? 'libero';
  if (!(SIM_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--sim: expected one of ${SIM_KINDS.join(', ')}, got "${kind}"`);
  if (kind === 'embedded') {
    if (python !== undefined) throw new UsageError('--python applies to --sim libero');
    return { kind: 'embedded' };
  }
  if (python !== undefined && python.trim() === '') throw new UsageError('--python: expected the path of a Python interpreter, got ""');
  return { kind: 'libero', python: liberoPythonChoice(settings, process.env, python).python };
}

async function pairing([embeddedId, referenceId]: [string, string], suite: string, referenceBackend: string): Promise<ClosedLoopPairing> {
  const store = new RunStore(defaultRunsRoot());
  const embedded = await (await store.open(embeddedId)).results();
  const reference = await (await store.open(referenceId)).results();
  const paired = pairRuns(embedded, reference, referenceBackend);
  if (embedded.config.suite !== suite) throw new EvalError('runs', `the runs are on ${embedded.config.suite}, the report on ${suite} (--suite)`);
  return paired;
}

const mm = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : (1000 * x).toFixed(1));
const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(0)}%`);

function outcomeText(o: FidelityEpisode['embedded']): string {
  return o.outcome === 'success' ? `success@${o.successStep}` : o.outcome === 'error' ? `error (${o.error})` : `failure (${o.steps} steps)`;
}

function episodeLine(e: FidelityEpisode, reference: string): string {
  return `${e.source} task ${e.taskId} init ${e.initIndex} fixtures ${e.fixtures}: embedded ${outcomeText(e.embedded)}, ${reference} ${outcomeText(e.reference)}${e.agree ? '' : ' (disagree)'}; EEF max ${mm(e.eefMax)} mm, object max ${mm(e.objectMax)} mm`;
}

const FIXTURE_WORDS: Record<FixtureMode, string> = {
  default: "the embedded scene's own fixture placement (region centres)",
  reference: "the fixtures where the reference's reset put them",
};

/** The per-task tables of a report, and the closed-loop pairing. */
export function formatReport(r: FidelityReport, file: string): string {
  const took = `${(r.wallMs / 1000).toFixed(1)} s${r.status === 'cancelled' ? ' (cancelled)' : ''}`;
  const lines =
    r.sources.length > 0
      ? [`rsd fidelity: ${r.suite}, embedded ${r.embedded.version} against ${r.reference.backend} ${r.reference.version}; ${r.tasks.length} tasks x ${r.initIndices.length} initial states (LIBERO's init files); ${took}`]
      : [`rsd fidelity: ${r.suite}, closed loop only (--sources none); ${took}`];
  if (r.bundle) lines.push(`  bundle ${r.bundle.name} (${r.bundle.decoding}, ${r.bundle.hash.slice(0, 19)})`);
  const points = r.checkpoints.filter((c) => c >= 25).map(String).concat('end');
  for (const g of r.groups) lines.push('', ...formatGroup(g, points));
  if (r.closedLoop) lines.push('', ...formatClosedLoop(r.closedLoop));
  lines.push('');
  for (const caveat of taskCaveats(r.suite, r.tasks, r.reference)) lines.push(`  note: task ${caveat.taskId} in ${r.reference.backend}: ${caveat.note}`);
  if (r.groups.length > 0) {
    lines.push(
      `  E: embedded, R: the reference (${r.reference.backend}); errors in mm at policy steps ${points.join('/')}, medians over the episodes that reached them in both;`,
      '  final object: the moved object at the last step both ran; fixture offset: reference fixtures against the embedded defaults',
    );
  }
  lines.push(`  report: ${file}`);
  return lines.join('\n');
}

function formatGroup(g: FidelityGroup, points: string[]): string[] {
  const head = points.map((p) => p.padStart(6)).join('');
  const lines = [
    `${g.source}, ${FIXTURE_WORDS[g.fixtures]}:`,
    `  ${'task'.padStart(5)}  ${'agree'.padEnd(11)}  ${'success E/R'.padEnd(11)}  EEF median${head}  object median${head}  final object  fixture offset`,
  ];
  const row = (name: string, s: FidelityGroup['total']): string => {
    const at = (stats: FidelityGroup['total']['eef']) => points.map((p) => mm(stats.find((x) => String(x.checkpoint) === p)?.median).padStart(6)).join('');
    return `  ${name.padStart(5)}  ${`${s.agreements}/${s.episodes} ${pct(s.agreement)}`.padEnd(11)}  ${`${s.successesEmbedded}/${s.successesReference}`.padEnd(11)}  ${''.padEnd(10)}${at(s.eef)}  ${''.padEnd(13)}${at(s.object)}  ${mm(s.finalObjectMedian).padStart(12)}  ${mm(s.fixtureOffsetMedian).padStart(14)}`;
  };
  for (const t of g.tasks) lines.push(row(String(t.taskId), t));
  lines.push(row('total', g.total));
  return lines;
}

function formatClosedLoop(c: ClosedLoopPairing): string[] {
  const p = (x: number): string => (x < 0.001 ? x.toExponential(2) : x.toFixed(3));
  const rate = (n: number, r: number | null): string => `${n} (${r === null ? '-' : `${(100 * r).toFixed(1)}%`})`;
  const row = (name: string, s: PairedSuccess): string =>
    `  ${name.padStart(5)} ${String(s.n).padStart(5)}  ${rate(s.successesA, s.rateA).padEnd(14)}  ${rate(s.successesB, s.rateB).padEnd(14)}  ${String(s.onlyA).padStart(6)}  ${String(s.onlyB).padStart(6)}  ${p(s.pValue).padStart(9)}`;
  const lines = [
    `closed loop: run ${c.embeddedRun.id} (E: embedded ${c.embeddedRun.version}) against run ${c.referenceRun.id} (R: ${c.referenceRun.backend} ${c.referenceRun.version}), bundle ${c.embeddedRun.bundle}; ${c.paired} paired episodes, ${c.unpaired} unpaired`,
    ...c.configDifferences.map((d) => `  differs: ${d.field}: embedded ${d.a}, ${c.referenceRun.backend} ${d.b}`),
    `  ${'task'.padStart(5)} ${'n'.padStart(5)}  ${'E success'.padEnd(14)}  ${'R success'.padEnd(14)}  ${'E only'.padStart(6)}  ${'R only'.padStart(6)}  ${'McNemar p'.padStart(9)}`,
  ];
  for (const t of c.tasks) lines.push(row(String(t.taskId), t));
  lines.push(row('total', c.total));
  return lines;
}
