import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FixtureOffset } from '../api/schemas/fidelity.js';
import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { suiteTaskCount } from '../eval/bounds.js';
import { EvalError } from '../eval/errors.js';
import { RUN_DEFAULTS } from '../eval/defaults.js';
import { compareViews, renderViews, type CameraViews, type ViewComparison, type ViewRequest } from '../fidelity/camera-views.js';
import { comparisonFigure } from '../fidelity/comparison-figure.js';
import { ALIGNMENT_RADIUS, WITHIN_LEVELS } from '../fidelity/image-diff.js';
import { LIBERO_DIR_ENV } from '../libero/libero-dir.js';
import { PROJECT_SUITES, projectTask } from '../libero/project-tasks.js';
import { NUM_WAIT_STEPS, suiteTask, type SuiteName } from '../libero/suites.js';
import { LIBERO_CAMERAS, type CameraRequest } from '../sim/cameras.js';
import { initSourceName, initStatesFor, type InitSource } from '../sim/init-source.js';
import { describePython, liberoPythonChoice, liberoRoot } from '../sim/libero/python.js';
import { settingsFile } from '../settings/paths.js';
import { SettingsStore } from '../settings/store.js';
import { encodePng } from '../util/png.js';
import { intFlag, parse, print, UsageError } from './args.js';

/** Image sizes `--size` takes: small enough to stay quick, large enough for the figure's labels. */
const MIN_SIZE = 64;
const MAX_SIZE = 512;
/** LIBERO's init files and the project's evaluation split hold 50 states per task. */
const MAX_INIT = 49;
const SIM_KINDS = ['embedded', 'libero'] as const;
const STATE_SOURCES = ['libero', 'project'] as const;

/**
 * `rsd render`: the cameras' view of a task's initial state after the wait steps (the first frame a
 * policy sees), as PNGs; `--compare` renders it in the embedded simulator and in real LIBERO and
 * writes per camera a figure (embedded | LIBERO | difference) with the mean absolute difference
 * and the fraction of pixels within WITHIN_LEVELS (docs/cameras.md).
 */
export async function render(args: string[]): Promise<number> {
  const { values } = parse(args, {
    sim: { type: 'string' },
    python: { type: 'string' },
    compare: { type: 'boolean' },
    suite: { type: 'string' },
    task: { type: 'string' },
    init: { type: 'string' },
    states: { type: 'string' },
    libero: { type: 'string' },
    cameras: { type: 'string' },
    size: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  const compare = values.compare === true;
  const sim = oneOf('sim', values.sim, SIM_KINDS);
  if (compare && sim !== undefined) throw new UsageError('--sim: --compare renders both simulators (embedded and libero); leave out --sim');
  const usesLibero = compare || sim === 'libero';
  if (values.python !== undefined) {
    if (!usesLibero) throw new UsageError('--python applies to --sim libero and --compare (the Python that runs real LIBERO)');
    if (values.python.trim() === '') throw new UsageError('--python: expected the path of a Python interpreter, got ""');
  }
  const { suite, count } = suiteTaskCount(values.suite ?? RUN_DEFAULTS.suite);
  if (!PROJECT_SUITES.includes(suite)) throw new EvalError('suite', `rendering needs the project's definition of a task; it has ${PROJECT_SUITES.join(', ')} only, not ${suite}`);
  const taskId = intFlag('task', values.task, 0, 0, count - 1);
  const initIndex = intFlag('init', values.init, 0, 0, MAX_INIT);
  // As `rsd eval`: a run with real LIBERO starts from LIBERO's init files, the embedded one from the project's, unless told.
  const states = oneOf('states', values.states, STATE_SOURCES) ?? (usesLibero || values.libero !== undefined ? 'libero' : 'project');
  if (values.libero !== undefined && states !== 'libero') throw new UsageError('--libero names the folder of LIBERO\'s init files: it applies to --states libero');
  const cameras = cameraList(values.cameras, intFlag('size', values.size, 128, MIN_SIZE, MAX_SIZE));
  const out = path.resolve(values.out ?? '.');

  const settings = await new SettingsStore(settingsFile()).forRuns();
  const choice = usesLibero ? liberoPythonChoice(settings, process.env, values.python === undefined ? undefined : interpreterPath(values.python)) : null;
  if (choice && /[/\\]/.test(choice.python) && !existsSync(choice.python)) throw new UsageError(`--python: ${describePython(choice)} does not exist`);
  const reference: SimulatorSpec | null = choice ? { kind: 'libero', python: choice.python } : null;

  let source: InitSource;
  if (states === 'project') source = { kind: 'project' };
  else {
    const dir = values.libero ?? settings?.liberoDir ?? process.env[LIBERO_DIR_ENV] ?? (choice ? await liberoRoot(choice) : undefined);
    source = { kind: 'libero', ...(dir ? { dir } : {}) };
  }
  const task = projectTask(suite, taskId);
  const all = initStatesFor(suite, taskId, task.objects.length, source);
  const init = all[initIndex];
  if (!init) throw new EvalError('init', `${suite} task ${taskId} has ${all.length} initial states in ${initSourceName(source)}; --init ${initIndex} is past them`);
  const request: ViewRequest = { task, init, initIndex, cameras };
  await mkdir(out, { recursive: true });
  const stem = `${suite}_task${taskId}_init${initIndex}`;
  const about = { suite, task: taskId, instruction: suiteTask(suite, taskId).instruction, init: initIndex, initStates: initSourceName(source), waitSteps: NUM_WAIT_STEPS, out };

  if (!compare) {
    const rendered = await renderViews(reference ?? { kind: 'embedded' }, request);
    const files = await writeViews(out, stem, rendered.backend, rendered.views);
    const report = { ...about, simulator: { backend: rendered.backend, version: rendered.version }, cameras: cameras.map((c) => ({ camera: c.name, width: c.width, height: c.height, file: files[c.name]! })) };
    print(values.json, report, () => renderText(report));
    return 0;
  }
  const comparison = await compareViews(reference!, request);
  const files = await writeComparison(out, stem, comparison);
  const report = {
    ...about,
    embedded: comparison.embedded,
    reference: comparison.reference,
    withinLevels: WITHIN_LEVELS,
    fixtures: comparison.fixtures,
    cameras: comparison.cameras.map((c) => ({ camera: c.camera, width: c.width, height: c.height, ...c.difference, edgeShift: c.alignment, files: files[c.camera]! })),
  };
  print(values.json, report, () => compareText(report));
  return 0;
}

/** `--cameras` (default both of LIBERO's), each at `size` x `size`. */
function cameraList(value: string | undefined, size: number): CameraRequest[] {
  const names = value === undefined ? [...LIBERO_CAMERAS] : value.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!LIBERO_CAMERAS.includes(name)) throw new UsageError(`--cameras: expected ${LIBERO_CAMERAS.join(', ')} (comma-separated), got "${value}"`);
  }
  if (new Set(names).size !== names.length) throw new UsageError(`--cameras: names a camera twice: "${value}"`);
  return names.map((name) => ({ name, width: size, height: size }));
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}, got "${value}"`);
  return value as T | undefined;
}

/** A path made absolute; a bare name (`python3.11`) is looked up on PATH. */
function interpreterPath(given: string): string {
  return given.includes('/') || given.includes(path.sep) ? path.resolve(given) : given;
}

async function writeViews(out: string, stem: string, backend: string, views: CameraViews): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [camera, image] of Object.entries(views)) {
    const file = path.join(out, `${stem}_${camera}_${backend}.png`);
    await writeFile(file, encodePng(image));
    files[camera] = file;
  }
  return files;
}

interface ComparisonFiles {
  embedded: string;
  reference: string;
  figure: string;
}

async function writeComparison(out: string, stem: string, c: ViewComparison): Promise<Record<string, ComparisonFiles>> {
  const files: Record<string, ComparisonFiles> = {};
  for (const cam of c.cameras) {
    const names: ComparisonFiles = {
      embedded: path.join(out, `${stem}_${cam.camera}_${c.embedded.backend}.png`),
      reference: path.join(out, `${stem}_${cam.camera}_${c.reference.backend}.png`),
      figure: path.join(out, `${stem}_${cam.camera}_compare.png`),
    };
    await writeFile(names.embedded, encodePng(cam.embedded));
    await writeFile(names.reference, encodePng(cam.reference));
    await writeFile(names.figure, encodePng(comparisonFigure({ embedded: cam.embedded, reference: cam.reference, map: cam.map, difference: cam.difference })));
    files[cam.camera] = names;
  }
  return files;
}

interface About {
  suite: SuiteName;
  task: number;
  instruction: string;
  init: number;
  initStates: string;
  waitSteps: number;
  out: string;
}

function heading(r: About): string {
  return `rsd render: ${r.suite} task ${r.task} ("${r.instruction}"), initial state ${r.init} of ${r.initStates}, after ${r.waitSteps} wait steps`;
}

function renderText(r: About & { simulator: { backend: string; version: string }; cameras: { camera: string; width: number; height: number; file: string }[] }): string {
  return [heading(r), `  ${r.simulator.backend} (${r.simulator.version})`, ...r.cameras.map((c) => `  ${c.camera.padEnd(20)} ${`${c.width}x${c.height}`.padEnd(9)} ${c.file}`)].join('\n');
}

function compareText(
  r: About & {
    embedded: { backend: string; version: string };
    reference: { backend: string; version: string };
    fixtures: FixtureOffset[];
    cameras: { camera: string; width: number; height: number; meanAbsDiff: number; withinFraction: number; edgeShift: { dx: number; dy: number; correlation: number }; files: ComparisonFiles }[];
  },
): string {
  const lines = [
    heading(r),
    `  embedded (${r.embedded.version}) against ${r.reference.backend} (${r.reference.version})`,
    `  ${'camera'.padEnd(20)} ${'size'.padEnd(9)} ${'mean |diff|'.padStart(11)}  ${`within ${WITHIN_LEVELS}`.padStart(9)}  ${'edge shift'.padStart(10)}  figure`,
    ...r.cameras.map((c) => `  ${c.camera.padEnd(20)} ${`${c.width}x${c.height}`.padEnd(9)} ${c.meanAbsDiff.toFixed(1).padStart(11)}  ${`${(100 * c.withinFraction).toFixed(1)}%`.padStart(9)}  ${`${c.edgeShift.dx},${c.edgeShift.dy}`.padStart(10)}  ${c.files.figure}`),
  ];
  const moved = r.fixtures.filter((f) => f.position !== null);
  if (moved.length > 0) {
    lines.push(`  embedded fixtures placed where ${r.reference.backend}'s reset put them (${moved.map((f) => `${f.fixture} ${(1000 * f.position!).toFixed(1)} mm from the default`).join(', ')})`);
  }
  lines.push(`  mean |diff|: over all pixels and channels, 0-255; within ${WITHIN_LEVELS}: pixels whose channels all differ by at most ${WITHIN_LEVELS} levels;`);
  lines.push(`  edge shift: the shift (x, y pixels, within ${ALIGNMENT_RADIUS}) at which the two images' edges match best; 0,0 when the cameras' poses and fields of view agree`);
  const shifted = r.cameras.filter((c) => c.edgeShift.dx !== 0 || c.edgeShift.dy !== 0);
  if (shifted.length > 0) lines.push(`  warning: ${shifted.map((c) => c.camera).join(', ')}: the edges match best shifted, not in place: the embedded camera's pose or field of view differs from ${r.reference.backend}'s`);
  return lines.join('\n');
}
