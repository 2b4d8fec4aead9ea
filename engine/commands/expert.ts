import { createWriteStream, mkdirSync } from 'node:fs';
import { physicsFlag } from './physics-flag.js';
import os from 'node:os';
import path from 'node:path';
import { MAX_IMAGE_SIDE } from '../bundle/manifest.js';
import { encodeDemo, writeDemoImages, type DemoCamera } from '../expert/demos.js';
import { LIBERO_CAMERAS, mergeCameraRequests, type CameraRequest } from '../sim/cameras.js';
import { loadPerturbingPolicy } from '../expert/policy-perturbation.js';
import { runExpertSuite, type ExpertSuiteReport, type InitSource, type PolicySpec } from '../expert/suite.js';
import { STRATEGIES, type Strategy } from '../decoding/record.js';
import { boundedWorkers, checkTrials, checkWorkers, suiteTaskCount } from '../eval/bounds.js';
import { EvalError } from '../eval/errors.js';
import { InputError } from '../util/input-error.js';
import { intFlag, parse, print, UsageError } from './args.js';

/**
 * `0-9`, `0,3,5`, `2`: task ids of `suite`, sorted, each once. An id or a range that leaves the
 * suite is refused before any id is listed (a range such as 0-99999999 would otherwise build a
 * set of a hundred million).
 */
export function parseTaskList(text: string | undefined, suite: string): number[] | undefined {
  if (text === undefined) return undefined;
  const { suite: name, count } = suiteTaskCount(suite);
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) throw new UsageError(`--tasks: expected ids such as 0-9 or 0,3,5, got "${text}"`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from) throw new UsageError(`--tasks: range ${part} runs backwards`);
    if (to >= count) throw new EvalError('tasks', `${name} has tasks 0-${count - 1}; ${range[2] === undefined ? `${part.trim()} is not one of them` : `the range ${part.trim()} leaves them`}`);
    ranges.push([from, to]);
  }
  const ids = new Set<number>();
  for (const [from, to] of ranges) for (let i = from; i <= to; i++) ids.add(i);
  return [...ids].sort((a, b) => a - b);
}

/** `--noise 0,0.1,0.2`: perturbation levels, each initial state runs once per level. */
export function parseNoise(text: string | undefined): number[] {
  if (text === undefined) return [0];
  const levels = text.split(',').map((part) => Number(part.trim()));
  if (levels.length === 0 || levels.some((v) => !Number.isFinite(v) || v < 0 || v > 1) || text.trim() === '') {
    throw new UsageError(`--noise: expected stds in [0, 1] separated by commas, such as 0,0.1,0.2, got "${text}"`);
  }
  return levels;
}

/**
 * `--cameras agentview,robot0_eye_in_hand` with `--render-size`, `--image-size`, `--orientation` and
 * `--center-crop`: the cameras a recording stores, as manifest camera entries (each rendered at
 * render x render, stored as the policy's image x image tensor). Undefined without --cameras.
 */
export function parseRecordCameras(values: { cameras?: string | undefined; 'render-size'?: string | undefined; 'image-size'?: string | undefined; orientation?: string | undefined; 'center-crop'?: string | undefined }): DemoCamera[] | undefined {
  const sizeFlags = (['render-size', 'image-size', 'orientation', 'center-crop'] as const).filter((k) => values[k] !== undefined);
  if (values.cameras === undefined) {
    if (sizeFlags.length) throw new UsageError(`--${sizeFlags[0]} needs --cameras`);
    return undefined;
  }
  const names = values.cameras.split(',').map((n) => n.trim());
  for (const name of names) {
    if (!LIBERO_CAMERAS.includes(name)) throw new UsageError(`--cameras: "${name}" is not a camera the simulator renders (${LIBERO_CAMERAS.join(', ')})`);
  }
  if (new Set(names).size !== names.length) throw new UsageError(`--cameras: a camera is named twice in "${values.cameras}"`);
  const render = intFlag('render-size', values['render-size'], 128, 1, MAX_IMAGE_SIDE);
  const image = intFlag('image-size', values['image-size'], 64, 1, MAX_IMAGE_SIDE);
  const orientation = values.orientation ?? 'upright';
  if (orientation !== 'upright' && orientation !== 'rot180') throw new UsageError(`--orientation: expected upright or rot180, got "${orientation}"`);
  let centerCrop: number | null = null;
  if (values['center-crop'] !== undefined) {
    centerCrop = Number(values['center-crop']);
    if (!(centerCrop > 0 && centerCrop <= 1)) throw new UsageError(`--center-crop: expected a fraction of the area in (0, 1], got "${values['center-crop']}"`);
  }
  return names.map((name) => ({ name, height: image, width: image, orientation, centerCrop, render: { height: render, width: render } }));
}

/**
 * `rsd expert`: the scripted expert on a suite, across worker threads. With --record DIR it writes
 * every episode's observations and actions (demonstrations.jsonl, one episode per line; see
 * engine/expert/demos.ts), from the demonstration pool of initial states unless --init says otherwise.
 * --noise L1,L2,... runs each initial state once per level with DART-style noise of that std on the
 * executed actions (0: none), recording the expert's own actions (engine/expert/perturbation.ts).
 * --policy DIR (repeatable) also runs each initial state once per bundle, that policy driving the
 * arm in bursts (engine/expert/policy-perturbation.ts); --no-clean leaves out the noise levels
 * (the clean run too), for a recording of policy-perturbed episodes alone. --cameras NAMES (with
 * --record) also stores every step's images of those cameras, as a policy's tensors
 * (parseRecordCameras; one .npy per episode under DIR/images, engine/expert/demos.ts).
 */
export async function expert(args: string[]): Promise<number> {
  const { values } = parse(args, {
    suite: { type: 'string' },
    tasks: { type: 'string' },
    trials: { type: 'string' },
    workers: { type: 'string' },
    init: { type: 'string' },
    libero: { type: 'string' },
    record: { type: 'string' },
    noise: { type: 'string' },
    seed: { type: 'string' },
    policy: { type: 'string', multiple: true },
    'policy-decoding': { type: 'string' },
    'no-clean': { type: 'boolean' },
    cameras: { type: 'string' },
    'render-size': { type: 'string' },
    'image-size': { type: 'string' },
    orientation: { type: 'string' },
    'center-crop': { type: 'string' },
    order: { type: 'string' },
    physics: { type: 'string' },
    'time-limit': { type: 'string' },
    json: { type: 'boolean' },
  });
  const order = values.order ?? 'task';
  if (order !== 'task' && order !== 'interleaved') throw new UsageError(`--order: expected task or interleaved, got "${order}"`);
  const timeLimit = values['time-limit'] === undefined ? undefined : intFlag('time-limit', values['time-limit'], 0, 1);
  const cameras = parseRecordCameras(values);
  if (cameras && !values.record) throw new UsageError('--cameras stores images with the demonstrations: give --record DIR');
  const suite = values.suite ?? 'libero_spatial';
  const tasks = parseTaskList(values.tasks, suite);
  // The run's bounds (engine/eval/bounds.ts), as `rsd eval` and the app apply them.
  const trials = checkTrials(intFlag('trials', values.trials, 50, 1));
  const workers = values.workers === undefined ? boundedWorkers(os.availableParallelism()) : checkWorkers(intFlag('workers', values.workers, 1, 1));
  if (values['no-clean'] && !values.policy?.length) throw new UsageError('--no-clean leaves only policy-perturbed episodes: give --policy DIR');
  const init = values.init ?? (values.record ? 'demo' : 'eval');
  const source: InitSource =
    init === 'libero' ? { kind: 'libero', ...(values.libero ? { dir: values.libero } : {}) }
    : init === 'eval' || init === 'demo' ? { kind: 'project', split: init }
    : (() => {
        throw new UsageError(`--init: expected eval, demo or libero, got "${init}"`);
      })();
  const physics = await physicsFlag(values.physics);
  const recordFile = values.record ? path.join(values.record, 'demonstrations.jsonl') : undefined;
  if (values.record) {
    try {
      mkdirSync(values.record, { recursive: true });
    } catch (error) {
      throw new InputError('record', `cannot create the folder ${values.record}: ${(error as Error).message}`);
    }
  }
  const out = recordFile ? createWriteStream(recordFile, { flags: 'w' }) : undefined;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // --time-limit: stop handing out episodes after that many seconds; those in flight are dropped
  // (not written), the finished ones kept. With --order interleaved the kept ones cover every task.
  let timedOut = false;
  const timer = timeLimit === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeLimit * 1000);
  const tty = process.stderr.isTTY && !values.json;
  const policies = await policySpecs(values.policy ?? [], values['policy-decoding']);
  // Each worker's simulator renders the recorded cameras and those a perturbing vision policy reads.
  const recorded: CameraRequest[] = (cameras ?? []).map((c) => ({ name: c.name, ...c.render }));
  const simCameras = mergeCameraRequests(recorded, ...policies.map((p) => p.cameras));
  const written = new Set<string>();
  const report = await runExpertSuite({
    suite,
    tasks,
    trials,
    workers,
    initSource: source,
    noise: values['no-clean'] ? [] : parseNoise(values.noise),
    policies: policies.map(({ bundle, decoding }) => ({ bundle, ...(decoding ? { decoding } : {}) })),
    seed: intFlag('seed', values.seed, 0, 0, 2 ** 32 - 1),
    order,
    physics,
    record: Boolean(out),
    ...(cameras ? { cameras } : {}),
    ...(simCameras.length ? { simCameras } : {}),
    signal: controller.signal,
    onResult(run, { done, total }) {
      // Appended as each episode finishes, so an interrupted recording keeps what it has; the
      // frames are written before the line that names them.
      if (out && run.demo) out.write(encodeDemo(run.demo, run.demo.images ? writeDemoImages(values.record!, run.demo, written) : undefined) + '\n');
      if (tty) process.stderr.write(`\r  ${done}/${total} episodes`);
    },
  });
  clearTimeout(timer);
  if (tty) process.stderr.write('\n');
  await new Promise<void>((resolve) => (out ? out.end(resolve) : resolve()));
  const { runs, ...summary } = report;
  const stopped = timedOut && report.cancelled ? { timeLimited: { seconds: timeLimit, finished: runs.length } } : {};
  print(values.json, { ...summary, ...stopped, recorded: recordFile ?? null, episodes: runs.map((r) => r.result) }, () => formatExpert(report, recordFile) + (timedOut && report.cancelled ? `\n  time limit: stopped after ${timeLimit} s with ${runs.length} episodes finished` : ''));
  // A time limit is a planned end: success; an interrupt (SIGINT) is not.
  return report.cancelled && !timedOut ? 1 : 0;
}

/**
 * `--policy DIR` (repeatable): bundles that drive the arm in bursts, each checked here (loaded
 * once) so that a bad folder fails before any episode runs; `--policy-decoding` for all of them.
 */
async function policySpecs(dirs: readonly string[], decoding: string | undefined): Promise<(PolicySpec & { cameras: CameraRequest[] })[]> {
  if (decoding !== undefined && !(STRATEGIES as readonly string[]).includes(decoding)) {
    throw new UsageError(`--policy-decoding: expected one of ${STRATEGIES.join(', ')}, got "${decoding}"`);
  }
  if (decoding !== undefined && dirs.length === 0) throw new UsageError('--policy-decoding needs --policy DIR');
  const specs: (PolicySpec & { cameras: CameraRequest[] })[] = [];
  for (const dir of dirs) {
    const bundle = path.resolve(dir);
    const policy = await loadPerturbingPolicy(bundle, decoding as Strategy | undefined).catch((error: Error) => {
      throw error instanceof InputError ? new InputError('policy', `--policy ${dir}: ${error.message}`) : error;
    });
    specs.push({ bundle, decoding: policy.strategy, cameras: [...policy.metadata.observation.cameras] });
    await policy.close();
  }
  return specs;
}

function formatExpert(r: ExpertSuiteReport, recorded: string | undefined): string {
  const lines = [`rsd expert: ${r.suite}, ${r.initSource}, ${r.workers} workers, MuJoCo ${r.physics}, ${(r.wallMs / 1000).toFixed(1)} s${r.cancelled ? ' (cancelled)' : ''}`];
  lines.push('  task  success           failures errors  mean steps  name');
  let successes = 0;
  let trials = 0;
  for (const t of r.perTask) {
    successes += t.successes;
    trials += t.trials;
    lines.push(`  ${String(t.taskId).padStart(4)}  ${`${t.successes}/${t.trials} (${(100 * t.successRate).toFixed(1)}%)`.padEnd(17)} ${String(t.failures).padStart(8)} ${String(t.errors).padStart(6)}  ${t.meanSteps.toFixed(1).padStart(10)}  ${t.name}`);
  }
  lines.push(`  total ${successes}/${trials} (${((100 * successes) / Math.max(1, trials)).toFixed(1)}%)`);
  if (recorded) lines.push(`  recorded: ${recorded}`);
  return lines.join('\n');
}
